package redis

import (
	"strconv"
	"strings"
)

// A streamID is a stream entry's id, MS-SEQ.
type streamID struct{ ms, seq uint64 }

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

// A streamEntry is one entry: its id and its field-value pairs.
type streamEntry struct {
	id     streamID
	fields [][]byte
}

// A stream is a stream value.
type stream struct {
	entries []streamEntry // by id
	lastID  streamID
}

func (s *stream) copy() *stream {
	c := *s
	c.entries = append([]streamEntry(nil), s.entries...)
	return &c
}

func (s *stream) fingerprint(b *strings.Builder) {
	b.WriteString("last " + s.lastID.String() + ";")
	for _, e := range s.entries {
		b.WriteString(e.id.String())
		for _, f := range e.fields {
			b.WriteString("," + strconv.Quote(string(f)))
		}
		b.WriteByte(';')
	}
}
