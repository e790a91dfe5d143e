package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"
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
		// Most gaps fit a byte (a hot key's writes are a few ids apart):
		// read those without binary.Uvarint's loop.
		var d uint64
		if len(blob) > 0 && blob[0] < 0x80 {
			d, blob = uint64(blob[0]), blob[1:]
		} else {
			var k int
			d, k = binary.Uvarint(blob)
			if k <= 0 {
				return dst, errBadBlock
			}
			blob = blob[k:]
		}
		if d == 0 {
			return dst, errBadBlock
		}
		id += int64(d)
		dst = append(dst, id)
	}
	if len(blob) != 0 {
		return dst, errBadBlock
	}
	return dst, nil
}

// A block keeps the shapes of its writes when they are few: at most
// maxShapes distinct ones (a counter's INCRs, INCRBY 5s, SETs and DELs).
// A block of writes that vary more is stored without them, as is one
// with a write that has none, so that the shapes cost little where they
// do not help: a run costs a byte or two, so at most about as much as
// the ids.
const maxShapes = 16

// checkIDs checks that a block's blob holds n increasing ids from first
// to last, without unpacking them.
func checkIDs(first, last int64, n int, blob []byte) error {
	id := first
	for i := 1; i < n; i++ {
		d, k := binary.Uvarint(blob)
		if k <= 0 || d == 0 || d > uint64(last-id) {
			return errBadBlock
		}
		blob, id = blob[k:], id+int64(d)
	}
	if len(blob) != 0 || id != last {
		return errBadBlock
	}
	return nil
}

// oneRun tells whether a block's shapes (encodeShapes) are one run, of
// all its n writes.
func oneRun(n int, sh []byte) bool {
	if len(sh) < 9 || sh[0] != 1 {
		return false
	}
	v, k := binary.Uvarint(sh[9:])
	return k > 0 && k == len(sh)-9 && v == uint64(n)*maxShapes
}

// encodeShapes returns a block's shapes: the number of distinct shapes,
// each as 8 bytes (little-endian), then each run as a uvarint of its
// length times 16 plus its shape's index. It returns nil when a shape is
// 0 or there are more than maxShapes.
func encodeShapes(shapes []uint64) []byte {
	var dict []uint64
	var runs []byte
	for i := 0; i < len(shapes); {
		j := i + 1
		for j < len(shapes) && shapes[j] == shapes[i] {
			j++
		}
		if shapes[i] == 0 {
			return nil
		}
		k := slices.Index(dict, shapes[i])
		if k < 0 {
			if len(dict) == maxShapes {
				return nil
			}
			k = len(dict)
			dict = append(dict, shapes[i])
		}
		runs = binary.AppendUvarint(runs, uint64(j-i)*maxShapes+uint64(k))
		i = j
	}
	out := make([]byte, 0, 1+8*len(dict)+len(runs))
	out = append(out, byte(len(dict)))
	for _, d := range dict {
		out = binary.LittleEndian.AppendUint64(out, d)
	}
	return append(out, runs...)
}

// A shapeCount is a run of n writes of one shape.
type shapeCount struct {
	shape uint64
	n     int
}

// decodeShapeRuns appends the runs of a block of n ids (see
// encodeShapes) to dst, as they are stored: a hot counter's block is a
// run or two, which decoded one shape an id cost as much memory as its
// ids.
func decodeShapeRuns(dst []shapeCount, n int, blob []byte) ([]shapeCount, error) {
	if len(blob) == 0 || int(blob[0]) > maxShapes || len(blob) < 1+8*int(blob[0]) {
		return dst, errBadBlock
	}
	var dictA [maxShapes]uint64
	dict := dictA[:blob[0]]
	for i := range dict {
		dict[i] = binary.LittleEndian.Uint64(blob[1+8*i:])
	}
	blob = blob[1+8*len(dict):]
	left := uint64(n)
	for len(blob) > 0 {
		v, k := binary.Uvarint(blob)
		c, d := v/maxShapes, int(v%maxShapes)
		if k <= 0 || c == 0 || d >= len(dict) || c > left {
			return dst, errBadBlock
		}
		blob, left = blob[k:], left-c
		dst = append(dst, shapeCount{dict[d], int(c)})
	}
	if left != 0 {
		return dst, errBadBlock
	}
	return dst, nil
}

// expandShapes appends the shapes of runs to dst, one per write.
func expandShapes(dst []uint64, runs []shapeCount) []uint64 {
	for _, r := range runs {
		for range r.n {
			dst = append(dst, r.shape)
		}
	}
	return dst
}

// A postingKey is one key of one namespace of one system.
type postingKey struct {
	system, ns string
	key        []byte
}

// A key's lists: its reads (w 0), its writes (w 1), its writes confined
// to parts of class c (w 1+c). (The lists of its parts are partLists.)
type lists struct {
	rw    [2][]int64 // w 0 and 1
	other []wList    // any other w: rare
	// shapes are the shapes of the writes of rw[1], one each (0: none),
	// or nil while every one is 0.
	shapes []uint64
}

// A wList is a list of ids with its w.
type wList struct {
	w   int
	ids []int64
}

// A partList is the list of one part's writes of a class (w -class),
// listed under partKey(its key, part).
type partList struct {
	key  int32 // the key's index in pending.keys
	w    int
	part []byte
	ids  []int64
}

// pending collects the event ids of each list during an ingest, to be
// written as blocks; memory is bounded by flushing when it grows. Its
// indexes are keyed by hash, each entry the first of a chain (next) of
// the keys or parts with that hash: cheaper than string keys, since
// every event looks up at least one.
type pending struct {
	seed  maphash.Seed
	index map[uint64]int32 // hash of system, ns, key -> keys, lists
	next  []int32          // per key: the next with its hash, or -1
	keys  []postingKey
	lists []lists
	parts map[uint64]int32 // hash of key, w, part -> partLists
	pnext []int32
	plist []partList
	n     int // ids held
	buf   []byte
}

func newPending() *pending {
	return &pending{seed: maphash.MakeSeed(), index: map[uint64]int32{}, parts: map[uint64]int32{}}
}

// add records that event id is in list w of a key, with its shape (a
// write's; 0 for none).
func (p *pending) add(system, ns string, key []byte, w int, id int64, shape uint64) {
	p.addTo(p.entry(system, ns, key), w, id, shape)
}

// entry returns the index of a key's lists.
func (p *pending) entry(system, ns string, key []byte) int32 {
	p.buf = append(append(append(append(append(p.buf[:0], system...), 0), ns...), 0), key...)
	h := maphash.Bytes(p.seed, p.buf)
	head, ok := p.index[h]
	if ok {
		for i := head; i >= 0; i = p.next[i] {
			if k := &p.keys[i]; k.system == system && k.ns == ns && bytes.Equal(k.key, key) {
				return i
			}
		}
	} else {
		head = -1
	}
	i := int32(len(p.keys))
	p.index[h] = i
	p.next = append(p.next, head)
	// Never nil, even for the empty key (Redis allows it): nil binds as NULL.
	p.keys = append(p.keys, postingKey{system, ns, append([]byte{}, key...)})
	p.lists = append(p.lists, lists{})
	return i
}

// addTo records that event id is in list w of key i, with its shape.
func (p *pending) addTo(i int32, w int, id int64, shape uint64) {
	p.n++
	l := &p.lists[i]
	if w == 1 && (shape != 0 || l.shapes != nil) {
		if l.shapes == nil {
			l.shapes = make([]uint64, len(l.rw[1]), len(l.rw[1])+1)
		}
		l.shapes = append(l.shapes, shape)
	}
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

// addPart records that event id is in list w (negative) of a part of
// key i: under partKey(key, part).
func (p *pending) addPart(i int32, part []byte, w int, id int64) {
	p.n++
	h := maphash.Bytes(p.seed, part) ^ (uint64(i)<<8|uint64(byte(w)))*0x9E3779B97F4A7C15
	head, ok := p.parts[h]
	if ok {
		for j := head; j >= 0; j = p.pnext[j] {
			if pl := &p.plist[j]; pl.key == i && pl.w == w && bytes.Equal(pl.part, part) {
				pl.ids = append(pl.ids, id)
				return
			}
		}
	} else {
		head = -1
	}
	p.parts[h] = int32(len(p.plist))
	p.pnext = append(p.pnext, head)
	p.plist = append(p.plist, partList{key: i, w: w, part: append([]byte{}, part...), ids: []int64{id}})
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
	// shapes are the runs of the writes' shapes (encodeShapes); nil when
	// not every write has one, or for a list of reads or parts.
	shapes []byte
}

// blocks returns every pending list cut into blocks, in primary-key order
// (so the insert appends to the index instead of seeking around it), and
// empties p.
func (p *pending) blocks() []block {
	var out []block
	cut := func(k postingKey, w int, ids []int64, shapes []uint64) {
		for len(ids) > 0 {
			n := min(len(ids), blockIDs)
			b := block{k: k, w: w, first: ids[0], last: ids[n-1], n: n, ids: encodeIDs([]byte{}, ids[:n])}
			if shapes != nil {
				b.shapes = encodeShapes(shapes[:n])
				shapes = shapes[n:]
			}
			out = append(out, b)
			ids = ids[n:]
		}
	}
	for i, k := range p.keys {
		l := &p.lists[i]
		cut(k, 0, l.rw[0], nil)
		cut(k, 1, l.rw[1], l.shapes)
		for _, wl := range l.other {
			cut(k, wl.w, wl.ids, nil)
		}
	}
	for _, pl := range p.plist {
		k := p.keys[pl.key]
		cut(postingKey{k.system, k.ns, partKey(k.key, pl.part)}, pl.w, pl.ids, nil)
	}
	slices.SortStableFunc(out, func(x, y block) int {
		return cmp.Or(strings.Compare(x.k.system, y.k.system), strings.Compare(x.k.ns, y.k.ns),
			bytes.Compare(x.k.key, y.k.key), cmp.Compare(x.w, y.w))
	})
	clear(p.index)
	clear(p.parts)
	p.keys, p.lists, p.next, p.n = p.keys[:0], p.lists[:0], p.next[:0], 0
	p.plist, p.pnext = p.plist[:0], p.pnext[:0]
	return out
}

// A poster builds the pending postings on a goroutine of its own: the
// writer only queues each touch, so building the lists (a hash lookup or
// two per touch) runs beside its SQLite work instead of in its way. The
// goroutine lives from the first touch queued to the next blocks or
// stop.
type poster struct {
	p       *pending
	queue   []touch
	in      chan []touch
	done    chan struct{}
	running bool
	n       int // touches since the last blocks
	// lists counts the keys and parts the goroutine holds lists of (a
	// log of many distinct keys holds many lists of few ids).
	lists atomic.Int64
}

// A touch is one event's entry in a key's list w; for a write of class
// c (w 1+c), also in each of its parts' lists.
type touch struct {
	system, ns string
	key        []byte
	w          int
	parts      [][]byte
	id         int64
	shape      uint64
}

// touchBatch is how many touches the writer queues before handing them
// over.
const touchBatch = 1024

func newPoster() *poster { return &poster{p: newPending()} }

// add queues that event id is in list w of a key, with its shape (see
// formats.Ref's Shape; 0 for none).
func (ps *poster) add(system, ns string, key []byte, w int, id int64, shape uint64) {
	ps.push(touch{system: system, ns: ns, key: key, w: w, id: id, shape: shape})
}

// addClass queues a write of class c to key, and to each of its parts.
func (ps *poster) addClass(system, ns string, key []byte, c int, parts [][]byte, id int64) {
	ps.push(touch{system: system, ns: ns, key: key, w: 1 + c, parts: parts, id: id})
}

func (ps *poster) push(t touch) {
	ps.n += 1 + len(t.parts)
	ps.queue = append(ps.queue, t)
	if len(ps.queue) < touchBatch {
		return
	}
	if !ps.running {
		ps.running = true
		ps.in, ps.done = make(chan []touch, 4), make(chan struct{})
		go ps.run()
	}
	ps.in <- ps.queue
	ps.queue = make([]touch, 0, touchBatch)
}

// run builds the lists of the touches handed over, in order.
func (ps *poster) run() {
	defer close(ps.done)
	for batch := range ps.in {
		ps.apply(batch)
	}
}

func (ps *poster) apply(batch []touch) {
	p := ps.p
	for _, t := range batch {
		i := p.entry(t.system, t.ns, t.key)
		p.addTo(i, t.w, t.id, t.shape)
		for j, part := range t.parts {
			if j == 0 || !slices.ContainsFunc(t.parts[:j], func(q []byte) bool { return bytes.Equal(q, part) }) {
				p.addPart(i, part, 1-t.w, t.id)
			}
		}
	}
	ps.lists.Store(int64(len(p.keys) + len(p.plist)))
}

// full tells whether the pending lists should be written now: too many
// touches, or lists of too many keys (each costs memory however few
// ids it holds).
func (ps *poster) full() bool {
	return ps.n >= maxPending || ps.lists.Load() >= maxLists
}

// stop waits for the goroutine to build every list handed over, and
// ends it.
func (ps *poster) stop() {
	if ps.running {
		close(ps.in)
		<-ps.done
		ps.running = false
	}
}

// blocks builds what is queued and returns pending.blocks.
func (ps *poster) blocks() []block {
	ps.stop()
	ps.apply(ps.queue)
	ps.queue, ps.n = ps.queue[:0], 0
	ps.lists.Store(0)
	return ps.p.blocks()
}
