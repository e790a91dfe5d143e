package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// Links between requests: the logs' own request and parent ids, a
// service's record of a call and the black box's own line of it, a reply
// logged on a later line than its call.

// The postings of the logs' own request ids live under these systems,
// with an empty namespace: ids are global across services.
const (
	linkID     = "#id"
	linkParent = "#parent"
	linkCall   = "#call"
	linkPair   = "#pair" // key: a call's event id; ids: the reply record
)

// callKeyOf is the postings key of a logged call's content (a CallKey):
// a hash of it when it is long (index keys stay small; lookups compare
// the content).
func callKeyOf(k []byte) []byte {
	if len(k) <= 64 {
		return k
	}
	h := sha256.Sum256(k)
	return append([]byte("#sha256:"), h[:]...)
}

// anyPosting tells whether any posting of kind is stored. One index seek
// answers it, once: known keeps the answer, so that a store of MONITOR
// captures only answers every lookup of links it has none of at once.
func (s *Store) anyPosting(ctx context.Context, kind string, known **bool) (bool, error) {
	if *known == nil {
		var one int
		err := s.db.QueryRowContext(ctx, sqlAnyPosting, kind).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		has := err == nil
		*known = &has
	}
	return **known, nil
}

// SameCall returns the calls logged by the services that sent them with
// the same content as e (black box, op and arguments), in trace order.
func (s *Store) SameCall(ctx context.Context, e *formats.Event) ([]*formats.Event, error) {
	if has, err := s.anyPosting(ctx, linkCall, &s.hasCalls); err != nil || !has {
		return nil, err
	}
	want := e.CallKey()
	ids, err := s.keyIDsAfter(ctx, nil, linkCall, "", callKeyOf(want), 1, 0, maxLinked)
	if err != nil {
		return nil, err
	}
	evs, err := s.eventsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := evs[:0]
	for _, c := range evs {
		if string(c.CallKey()) == string(want) || string(c.DecodedCallKey()) == string(want) {
			out = append(out, c)
		}
	}
	return out, nil
}

// maxLinked bounds the events one id lookup returns.
const maxLinked = 10000

// WithID returns the events that carry a request id (a request and its
// response share it), in trace order.
func (s *Store) WithID(ctx context.Context, id string) ([]*formats.Event, error) {
	return s.linked(ctx, linkID, id)
}

// WithParent returns the events caused by the request with an id (their
// parent id), in trace order.
func (s *Store) WithParent(ctx context.Context, parent string) ([]*formats.Event, error) {
	return s.linked(ctx, linkParent, parent)
}

func (s *Store) linked(ctx context.Context, kind, id string) ([]*formats.Event, error) {
	if id == "" {
		return nil, nil
	}
	ids, err := s.keyIDsAfter(ctx, nil, kind, "", []byte(id), 1, 0, maxLinked)
	if err != nil {
		return nil, err
	}
	return s.eventsByID(ctx, ids)
}

var _ provenance.BatchLinks = (*Store)(nil)

// WithIDs implements provenance.BatchLinks: WithID of many ids at once.
func (s *Store) WithIDs(ctx context.Context, ids []string) (map[string][]*formats.Event, error) {
	return s.linkedMany(ctx, linkID, ids)
}

// WithParents implements provenance.BatchLinks: WithParent of many ids at
// once.
func (s *Store) WithParents(ctx context.Context, parents []string) (map[string][]*formats.Event, error) {
	return s.linkedMany(ctx, linkParent, parents)
}

// linkedMany reads the postings of many link keys with one query (a
// chunk of them, for very long lists) and their events with another.
func (s *Store) linkedMany(ctx context.Context, kind string, keys []string) (map[string][]*formats.Event, error) {
	idsOf := map[string][]int64{}
	var all []int64
	const chunk = 500
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		args := []any{kind, "", 1}
		for _, k := range part {
			args = append(args, []byte(k))
		}
		rows, err := s.db.QueryContext(ctx, sqlBlocksOfKeys+inList(len(part))+" ORDER BY key, last", args...)
		if err != nil {
			return nil, err
		}
		var blk []int64
		for rows.Next() {
			var key []byte
			var first int64
			var n int
			var blob []byte
			if err := rows.Scan(&key, &first, &n, &blob); err != nil {
				rows.Close()
				return nil, err
			}
			if blk, err = decodeIDs(blk[:0], first, n, blob); err != nil {
				rows.Close()
				return nil, fmt.Errorf("key %s of %s: %w", formats.Quote(key), kind, err)
			}
			k := string(key)
			for _, id := range blk {
				if len(idsOf[k]) < maxLinked {
					idsOf[k] = append(idsOf[k], id)
					all = append(all, id)
				}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	byID, err := s.eventsMap(ctx, all, true)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*formats.Event, len(idsOf))
	for k, ids := range idsOf {
		for _, id := range ids {
			out[k] = append(out[k], byID[id])
		}
	}
	return out, nil
}

// pairedReply fills a call's reply from the reply record paired with it
// at ingest, if any.
func (s *Store) pairedReply(ctx context.Context, e *formats.Event) error {
	if has, err := s.anyPosting(ctx, linkPair, &s.hasPairs); err != nil || !has {
		return err
	}
	ids, err := s.keyIDsAfter(ctx, nil, linkPair, "", []byte(strconv.FormatInt(e.ID, 10)), 1, 0, 1)
	if err != nil || len(ids) == 0 {
		return err
	}
	rs, err := s.eventsByID(ctx, ids)
	if err != nil {
		return err
	}
	e.Reply = rs[0].Reply
	return nil
}

// maxReceiverScan bounds the events of a key ReceiverOf reads.
const maxReceiverScan = 100000

// ReceiverOf finds the black box's own record of a call a service logged
// (the MONITOR line of a logged Redis call): among the events touching
// the first of refs (the call's keys) that are not a service's records,
// of the instance the record names (when a stored file is of it), the
// same call by content, client address and time (provenance.Nearest,
// whose match says how it was chosen: of several, the first for which
// prefer holds). Nil when there is none.
func (s *Store) ReceiverOf(ctx context.Context, e *formats.Event, refs []formats.Ref, prefer func(c *formats.Event) bool) (*formats.Event, string, error) {
	var of map[string]string // source path -> instance, when e names one
	why := ""
	if e.Instance != "" {
		srcs, err := s.Sources(ctx)
		if err != nil {
			return nil, "", err
		}
		of = map[string]string{}
		known := false
		for _, src := range srcs {
			of[src.Path] = src.Instance
			known = known || src.Instance == e.Instance
		}
		if !known {
			of, why = nil, fmt.Sprintf("; its log names instance %s, which no ingested file is (see wat ingest --instance), so every instance's lines were candidates", formats.Quote([]byte(e.Instance)))
		}
	}
	for _, ref := range refs {
		if ref.Key == nil {
			continue
		}
		var cands []*formats.Event
		f := Filter{System: e.System, NS: ref.NS, Key: ref.Key, Limit: 1000}
		for scanned := 0; scanned < maxReceiverScan; {
			evs, err := s.Events(ctx, f)
			if err != nil {
				return nil, "", err
			}
			for _, c := range evs {
				if !c.ClientRecord && (of == nil || of[c.Source] == e.Instance) {
					cands = append(cands, c)
				}
			}
			scanned += len(evs)
			if len(evs) < f.Limit {
				break
			}
			f.After = evs[len(evs)-1].ID
		}
		best, match := provenance.Nearest(e, cands, prefer)
		if best != nil {
			match += why
		}
		return best, match, nil
	}
	return nil, "", nil
}
