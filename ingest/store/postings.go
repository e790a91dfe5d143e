package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"
)

// blockIDs is the most event ids one postings row holds: a lookup that
// wants the newest few writes of a key decodes at most two blocks.
const blockIDs = 512

// encodeIDs encodes increasing ids after the first as varint deltas.
func encodeIDs(dst []byte, ids []int64) []byte {
	for i := 1; i < len(ids); i++ {
		dst = binary.AppendUvarint(dst, uint64(ids[i]-ids[i-1]))
	}
	return dst
}

var errBadBlock = errors.New("corrupt postings block")

// decodeIDs appends the n ids of a block to dst in increasing order.
func decodeIDs(dst []int64, first int64, n int, blob []byte) ([]int64, error) {
	dst = append(dst, first)
	id := first
	for i := 1; i < n; i++ {
		d, k := binary.Uvarint(blob)
		if k <= 0 || d == 0 {
			return dst, errBadBlock
		}
		blob = blob[k:]
		id += int64(d)
		dst = append(dst, id)
	}
	if len(blob) != 0 {
		return dst, errBadBlock
	}
	return dst, nil
}

// A postingKey is one key of one namespace of one system.
type postingKey struct {
	system, ns string
	key        []byte
}

// A key's lists: its reads (w 0), its writes (w 1), its writes confined
// to parts of class c (w 1+c) and, under partKey, one part's writes of
// class c (w -c).
type lists struct {
	rw    [2][]int64 // w 0 and 1
	other []wList    // any other w: rare
}

// A wList is a list of ids with its w.
type wList struct {
	w   int
	ids []int64
}

// pending collects the event ids of each list during an ingest, to be
// written as blocks; memory is bounded by flushing when it grows.
type pending struct {
	index map[string]int // system \x00 ns \x00 key -> keys, lists
	keys  []postingKey
	lists []lists
	n     int // ids held
	buf   []byte
}

func newPending() *pending { return &pending{index: map[string]int{}} }

// add records that event id is in list w of a key.
func (p *pending) add(system, ns string, key []byte, w int, id int64) {
	p.buf = append(p.head(system, ns), key...)
	p.put(system, ns, w, id)
}

// addPart records that event id is in list w (negative) of a part of a
// key: under partKey(key, part).
func (p *pending) addPart(system, ns string, key, part []byte, w int, id int64) {
	p.buf = append(appendPartKey(p.head(system, ns), key), part...)
	p.put(system, ns, w, id)
}

// head begins p.buf with a key's system and namespace.
func (p *pending) head(system, ns string) []byte {
	return append(append(append(append(p.buf[:0], system...), 0), ns...), 0)
}

// put adds id to list w of the key p.buf names (head, then the key).
func (p *pending) put(system, ns string, w int, id int64) {
	i, ok := p.index[string(p.buf)]
	if !ok {
		i = len(p.keys)
		p.index[string(p.buf)] = i
		// Never nil, even for the empty key (Redis allows it): nil binds as NULL.
		key := append([]byte{}, p.buf[len(system)+len(ns)+2:]...)
		p.keys = append(p.keys, postingKey{system, ns, key})
		p.lists = append(p.lists, lists{})
	}
	l := &p.lists[i]
	p.n++
	if w == 0 || w == 1 {
		l.rw[w] = append(l.rw[w], id)
		return
	}
	for j := range l.other {
		if l.other[j].w == w {
			l.other[j].ids = append(l.other[j].ids, id)
			return
		}
	}
	l.other = append(l.other, wList{w, []int64{id}})
}

// partKey is the key under which the writes to one part of a key are
// listed (with a negative w, so no key's own lists are among them): the
// key's length as a uvarint, the key, the part.
func partKey(key, part []byte) []byte {
	return append(appendPartKey(make([]byte, 0, 2+len(key)+len(part)), key), part...)
}

// appendPartKey appends the prefix partKey gives every part of key.
func appendPartKey(dst, key []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(key))), key...)
}

// A block is one postings row.
type block struct {
	k     postingKey
	w     int
	first int64
	last  int64
	n     int
	ids   []byte
}

// blocks returns every pending list cut into blocks, in primary-key order
// (so the insert appends to the index instead of seeking around it), and
// empties p.
func (p *pending) blocks() []block {
	order := make([]int, len(p.keys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := p.keys[order[a]], p.keys[order[b]]
		if x.system != y.system {
			return x.system < y.system
		}
		if x.ns != y.ns {
			return x.ns < y.ns
		}
		return bytes.Compare(x.key, y.key) < 0
	})
	var out []block
	for _, i := range order {
		l := p.lists[i]
		all := append([]wList{{0, l.rw[0]}, {1, l.rw[1]}}, l.other...)
		sort.Slice(all, func(a, b int) bool { return all[a].w < all[b].w })
		for _, wl := range all {
			ids := wl.ids
			for len(ids) > 0 {
				n := min(len(ids), blockIDs)
				out = append(out, block{k: p.keys[i], w: wl.w, first: ids[0], last: ids[n-1], n: n,
					ids: encodeIDs([]byte{}, ids[:n])})
				ids = ids[n:]
			}
		}
	}
	clear(p.index)
	p.keys, p.lists, p.n = p.keys[:0], p.lists[:0], 0
	return out
}
