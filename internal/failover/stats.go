package failover

import (
	"math"
	"sort"
)

// Spread is the median and maximum of a figure over several cycles.
type Spread struct {
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// SpreadOf summarises the values; ok is false for an empty set.
func SpreadOf(values []float64) (s Spread, ok bool) {
	if len(values) == 0 {
		return Spread{}, false
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	mid := len(v) / 2
	s.Median = v[mid]
	if len(v)%2 == 0 {
		s.Median = (v[mid-1] + v[mid]) / 2
	}
	s.Median = math.Round(s.Median*1000) / 1000
	s.Max = v[len(v)-1]
	s.N = len(v)
	return s, true
}
