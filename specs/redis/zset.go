package redis

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// A zset is a sorted set: members with scores, kept ordered by score and
// then member bytes, as Redis orders them.
type zset struct {
	score  map[string]float64
	sorted []zmember
}

type zmember struct {
	member string
	score  float64
}

func (z *zset) len() int {
	if z == nil {
		return 0
	}
	return len(z.sorted)
}

func (z *zset) copy() *zset {
	c := &zset{score: make(map[string]float64, len(z.score)), sorted: append([]zmember(nil), z.sorted...)}
	for k, v := range z.score {
		c.score[k] = v
	}
	return c
}

func zless(a, b zmember) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.member < b.member
}

// pos returns where m would stand in the order.
func (z *zset) pos(m zmember) int {
	return sort.Search(len(z.sorted), func(i int) bool { return !zless(z.sorted[i], m) })
}

// add sets a member's score; it reports whether the member is new.
func (z *zset) add(member string, score float64) bool {
	if z.score == nil {
		z.score = map[string]float64{}
	}
	old, had := z.score[member]
	if had {
		if old == score {
			return false
		}
		z.remove(member)
	}
	z.score[member] = score
	m := zmember{member, score}
	i := z.pos(m)
	z.sorted = append(z.sorted, zmember{})
	copy(z.sorted[i+1:], z.sorted[i:])
	z.sorted[i] = m
	return !had
}

// remove deletes a member; it reports whether there was one.
func (z *zset) remove(member string) bool {
	s, ok := z.score[member]
	if !ok {
		return false
	}
	i := z.pos(zmember{member, s})
	z.sorted = append(z.sorted[:i], z.sorted[i+1:]...)
	delete(z.score, member)
	return true
}

// rank returns a member's 0-based rank in ascending order.
func (z *zset) rank(member string) (int, bool) {
	s, ok := z.score[member]
	if !ok {
		return 0, false
	}
	return z.pos(zmember{member, s}), true
}

func (z *zset) fingerprint(b *strings.Builder) {
	for _, m := range z.sorted {
		b.WriteString(strconv.Quote(m.member) + "=" + strconv.FormatFloat(m.score, 'g', -1, 64) + ";")
		if math.Signbit(m.score) && m.score == 0 {
			b.WriteString("-0")
		}
	}
}
