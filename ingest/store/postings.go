package store

import (
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

// pending collects the event ids of each key during an ingest, to be
// written as blocks; memory is bounded by flushing when it grows.
type pending struct {
	index map[string]int // system \x00 ns \x00 key -> lists
	keys  []postingKey
	ids   [][2][]int64 // per key: read-only ids, write ids
	n     int          // ids held
	buf   []byte
}

func newPending() *pending { return &pending{index: map[string]int{}} }

// add records that event id touches a key, writing it when w.
func (p *pending) add(system, ns string, key []byte, w bool, id int64) {
	p.buf = append(append(append(append(append(p.buf[:0], system...), 0), ns...), 0), key...)
	i, ok := p.index[string(p.buf)]
	if !ok {
		i = len(p.keys)
		p.index[string(p.buf)] = i
		// Never nil, even for the empty key (Redis allows it): nil binds as NULL.
		p.keys = append(p.keys, postingKey{system, ns, append([]byte{}, key...)})
		p.ids = append(p.ids, [2][]int64{})
	}
	wi := 0
	if w {
		wi = 1
	}
	p.ids[i][wi] = append(p.ids[i][wi], id)
	p.n++
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
		return string(x.key) < string(y.key)
	})
	var out []block
	for _, i := range order {
		for w := 0; w < 2; w++ {
			ids := p.ids[i][w]
			for len(ids) > 0 {
				n := min(len(ids), blockIDs)
				out = append(out, block{k: p.keys[i], w: w, first: ids[0], last: ids[n-1], n: n,
					ids: encodeIDs([]byte{}, ids[:n])})
				ids = ids[n:]
			}
		}
	}
	clear(p.index)
	p.keys, p.ids, p.n = p.keys[:0], p.ids[:0], 0
	return out
}
