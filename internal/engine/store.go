package engine

import (
	"context"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// Store is the state the executors keep between executions: which alerts
// exist (de-duplication, and the documents suppression updates), the open
// suppression groups, the new terms history, a threshold rule's held
// matches and last counted groups, and the events an eql sequence rule's
// steps selected. MemoryStore holds it for a hunt;
// SQLStore over internal/state for serve (durable across restarts). The
// executors run the same code over both.
//
// Methods are called by one execution at a time (the caller serializes
// executions that touch the same rules).
type Store interface {
	// KnownAlerts reports which of ids are stored already.
	KnownAlerts(ctx context.Context, ids []string) (map[string]bool, error)
	// AddAlerts stores alerts (an id stored already is kept as it is).
	AddAlerts(ctx context.Context, alerts []Alert, now time.Time) error
	// AlertDoc returns the document of a stored alert.
	AlertDoc(ctx context.Context, id string) (map[string]any, bool, error)

	// LoadSuppression returns the suppression group stored under key.
	LoadSuppression(ctx context.Context, key string) (state.Suppression, bool, error)
	// SaveSuppression stores a group and, when doc is not nil, the
	// updated document of its alert.
	SaveSuppression(ctx context.Context, g state.Suppression, doc map[string]any) error

	// TermsLastSeen returns when each of a new terms rule's value
	// combinations (ComboKey) was last seen; absent: never, or pruned.
	TermsLastSeen(ctx context.Context, ruleID string, keys []string) (map[string]time.Time, error)
	// SaveTerms records when combinations were last seen (the later time
	// wins) and forgets those last seen before prune.
	SaveTerms(ctx context.Context, ruleID string, seen map[string]time.Time, prune time.Time) error

	// HoldThreshold holds matches of a threshold rule for its executions.
	HoldThreshold(ctx context.Context, ruleID string, ms []ThresholdMatch) error
	// ThresholdMatches returns a rule's held matches at or after since,
	// oldest first, and forgets older ones.
	ThresholdMatches(ctx context.Context, ruleID string, since time.Time) ([]ThresholdMatch, error)
	// ThresholdLast returns, per group (ComboKey), the newest match the
	// rule already counted into an alert.
	ThresholdLast(ctx context.Context, ruleID string) (map[string]time.Time, error)
	// SaveThresholdLast stores the groups' newest counted matches and
	// forgets the groups whose last is before prune.
	SaveThresholdLast(ctx context.Context, ruleID string, last map[string]time.Time, prune time.Time) error

	// HoldSequence holds events of an eql sequence rule for its
	// executions, at most limit for the rule (0: no limit). An event held
	// already (same index and id) is held once and does not count; the
	// events past the limit are not held: dropped is how many.
	HoldSequence(ctx context.Context, ruleID string, evs []SequenceEvent, limit int) (dropped int, err error)
	// SequenceEvents returns a sequence rule's held events at or after
	// since, oldest first, and forgets older ones.
	SequenceEvents(ctx context.Context, ruleID string, since time.Time) ([]SequenceEvent, error)
}
