package pgaf

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportAges returns, per node name of the formation, how long ago its
// keeper last reported, measured on the monitor's own clock so that clock
// skew between hosts does not matter.
func (m *Monitor) ReportAges(ctx context.Context, formation string) (map[string]time.Duration, error) {
	rows, err := m.conn.Query(ctx, `select nodename, extract(epoch from now() - reporttime)::float8
		from pgautofailover.node where formationid = $1`, formation)
	if err != nil {
		return nil, fmt.Errorf("read report times of formation %q: %w", formation, err)
	}
	ages := map[string]time.Duration{}
	var name string
	var secs *float64
	_, err = pgx.ForEachRow(rows, []any{&name, &secs}, func() error {
		if secs != nil {
			ages[name] = time.Duration(*secs * float64(time.Second))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read report times of formation %q: %w", formation, err)
	}
	return ages, nil
}
