// Package sequence runs EQL sequences and samples with Elasticsearch's
// semantics, over events given one at a time in time order.
//
// It sits between internal/match, which compiles each step's condition and
// join keys, and the callers that feed it events: `vigil search` today, the
// engine's EQL sequence executor later. It is its own package because the
// state it keeps (pending sequences per join key, missing-event trackers,
// samples' candidates) is a concept of its own, with its own memory bounds,
// and because it has to run both over a finished, sorted input (search,
// hunt) and over a live stream (serve).
//
// A sequence
//
//	sequence [by k...] [with maxspan=T] [q1] [by ...] [with runs=N] ... [until [qU]]
//
// is matched as Elasticsearch's sequence matcher matches it:
//
//   - events are ordered by timestamp, then by the tiebreaker field (null
//     last), then by arrival: Push must be called in that order;
//   - an event takes part in a step when the step's condition holds and none
//     of its non-optional join keys is null (`?x` keys may be null, and null
//     then equals null); keys are equal when their values are of the same
//     type and equal (a keyword "1" is not the long 1);
//   - per join key and stage one pending sequence is kept: an event of stage
//     i+1 extends the pending sequence of stage i (which leaves stage i), and
//     a newer sequence reaching a stage replaces the older one there; one
//     event may serve several stages, but never twice in one sequence;
//   - `with runs=N` repeats a step N times;
//   - maxspan is measured from the first event of the sequence to the event
//     extending it; a sequence that would exceed it is dropped;
//   - an `until` event of a key drops every pending sequence of that key
//     (those whose last event is at or before it);
//   - a missing-event step `![q]` between two steps discards a sequence when
//     an event of q with the same key lies strictly between the timestamps
//     of its neighbours (milliseconds); leading and trailing missing steps
//     are judged against maxspan as Elasticsearch judges them (see
//     docs/eql.md);
//   - completed sequences are ordered by their last event.
//
// A sample (`sample by k [q1] [q2] ...`) gathers, per join key value, the
// first events of each step (as many as there are steps), and at Flush
// returns one sample per key whose steps can be filled with distinct
// events, in ascending key order (null first).
package sequence
