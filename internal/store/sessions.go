package store

import (
	"context"
	"fmt"
	"time"
)

// Session kinds: who a token belongs to.
const (
	SessionCustomer = "customer"
	SessionStaff    = "staff"
)

// Session is a bearer token's record. Only the token's hash is stored, so a
// leaked database does not leak working tokens.
type Session struct {
	TokenHash   string
	WorkspaceID int64
	Kind        string
	SubjectID   int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, workspace_id, kind, subject_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), sess.TokenHash, sess.WorkspaceID, sess.Kind, sess.SubjectID, micros(sess.CreatedAt), micros(sess.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionByTokenHash finds an unexpired session.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string, now time.Time) (*Session, error) {
	var sess Session
	var created, expires int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT token_hash, workspace_id, kind, subject_id, created_at, expires_at
		FROM sessions WHERE token_hash = ? AND expires_at > ?`), hash, micros(now)).
		Scan(&sess.TokenHash, &sess.WorkspaceID, &sess.Kind, &sess.SubjectID, &created, &expires)
	if err != nil {
		return nil, notFound(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &sess, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_hash = ?`), hash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
