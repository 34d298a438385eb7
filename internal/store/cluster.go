package store

import (
	"context"
	"fmt"
)

// WaitingWorkspaces lists the workspaces with conversations waiting in the
// queue. Dispatchers look at them now and then, so that a dispatch trigger
// lost with a killed node leaves no one waiting for long.
func (s *Store) WaitingWorkspaces(ctx context.Context) ([]int64, error) {
	ids, err := queryIDs(ctx, s.db, s.q(`SELECT DISTINCT workspace_id FROM conversations WHERE status = 'queued' ORDER BY workspace_id`))
	if err != nil {
		return nil, fmt.Errorf("store: waiting workspaces: %w", err)
	}
	return ids, nil
}

// queryIDs runs a query of one integer column and returns its values.
func queryIDs(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
