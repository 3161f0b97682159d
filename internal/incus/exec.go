package incus

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	incus "github.com/lxc/incus/v7/client"
	"github.com/lxc/incus/v7/shared/api"
)

// ExecResult is what a command run inside an instance left behind.
type ExecResult struct {
	Code   int
	Stdout string
	Stderr string
}

// Exec runs argv inside a running instance and waits for it. The daemon
// records the output (no websockets): short commands whose output must not
// be lost under load, which is all the failover test runs.
func (c *Client) Exec(ctx context.Context, project, name string, argv []string, env map[string]string) (ExecResult, error) {
	srv := c.in(project)
	req := api.InstanceExecPost{Command: argv, Environment: env, RecordOutput: true}
	op, err := srv.ExecInstance(name, req, nil)
	if err := wait(ctx, op, err); err != nil {
		return ExecResult{}, fmt.Errorf("run %q in instance %q: %w", strings.Join(argv, " "), name, err)
	}
	meta := op.Get().Metadata
	var res ExecResult
	if code, ok := meta["return"].(float64); ok {
		res.Code = int(code)
	}
	if outputs, ok := meta["output"].(map[string]any); ok {
		res.Stdout = logfile(srv, name, outputs["1"])
		res.Stderr = logfile(srv, name, outputs["2"])
	}
	return res, nil
}

// logfile reads and deletes one recorded output; a missing one is empty.
func logfile(srv incus.InstanceServer, name string, ref any) string {
	p, ok := ref.(string)
	if !ok || p == "" {
		return ""
	}
	file := path.Base(p)
	r, err := srv.GetInstanceLogfile(name, file)
	if err != nil {
		return ""
	}
	defer r.Close()
	b, _ := io.ReadAll(io.LimitReader(r, 1<<16))
	_ = srv.DeleteInstanceLogfile(name, file)
	return string(b)
}
