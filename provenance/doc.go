// Package provenance defines wat-provenance (why-across-time provenance,
// Whittaker et al., SoCC 2018) and computes it.
//
// # The definition
//
// A black box is a deterministic state machine: from a start state it
// receives requests one at a time, and each request moves it to a new
// state and produces an output (its reply). A trace T is the sequence of
// requests the box received; a subtrace keeps some of them, in order.
//
// Let the box run T and then one more request i, producing output o. A
// subtrace T' of T is a witness of o when replaying T' from the start
// state, then i, produces o again. A witness is closed under supertrace
// when every supertrace of T' inside T (T' plus any other requests of T)
// is a witness too. The wat-provenance of i is the set of the minimal
// witnesses among those closed under supertrace.
//
// The order matters: first closure, then minimality. Taking the minimal
// witnesses first and then dropping the non-closed ones can leave nothing
// (set x 42; add x 1; add x 2; sub x 3; get x gives 42, explained only by
// all four requests). The answer is never the empty set, because T itself
// is always a closed witness; the set {ε} holding only the empty witness
// means that nothing in the past mattered.
//
// # What this package holds
//
// [BruteForce] is the definition run literally over every subtrace: the
// referee every spec is tested against, exponential and meant for small
// traces. [Solve] is the engine specs use: exact for any [Model] on a
// history split by unconditional resets, with work bounded by the length
// of the stretches between resets rather than by the history. A [Spec]
// fetches the history it needs through a [History] and returns an
// [Explanation].
package provenance
