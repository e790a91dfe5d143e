package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// jsonEvents is a list of events in an answer's JSON: list, and, when
// held is set, the events of held runs merged with it in id order, read
// from the store a chunk at a time as the answer is written (--all: the
// runs readHeld left as runs). list must be in id order then. It is
// written as a JSON array ("[]" when empty).
type jsonEvents struct {
	list []jsonEvent
	held *jsonHeld
}

// jsonHeld is held runs whose events an answer lists as it is written:
// read reads events whole by id (the store's ByIDOnce).
type jsonHeld struct {
	runs []provenance.Run
	read func(ids []int64) ([]*formats.Event, error)
}

// MarshalJSON implements json.Marshaler, for a list inside a value that
// is not written streamed (an explanation nested in the tree).
func (l jsonEvents) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := l.streamJSON(w); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// streamJSON implements jsonStreamer. The events of held are written as
// toJSONEvent writes them, without a sender (sent_by): a tree follows
// only events read whole (provenance.Explanation.Mentioned), never those
// of runs or stubs, so none of them has one.
func (l jsonEvents) streamJSON(w *bufio.Writer) error {
	w.WriteByte('[')
	n := 0
	put := func(e jsonEvent) error {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		n++
		_, err = w.Write(b)
		return err
	}
	list := l.list
	if h := l.held; h != nil {
		listsStreamed.Add(1)
		err := provenance.EachRunID(h.runs, heldChunk, func(ids []int64) error {
			evs, err := h.read(ids)
			if err != nil {
				return err
			}
			for _, e := range evs {
				for len(list) > 0 && list[0].ID < e.ID {
					if err := put(list[0]); err != nil {
						return err
					}
					list = list[1:]
				}
				if err := put(toJSONEvent(e)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, e := range list {
		if err := put(e); err != nil {
			return err
		}
	}
	return w.WriteByte(']')
}

// listsStreamed counts the lists of events of runs written a chunk at a
// time (jsonEvents.streamJSON, renderer.listHeld), for tests.
var listsStreamed atomic.Int64

// A jsonStreamer writes its own JSON to w a piece at a time.
type jsonStreamer interface {
	streamJSON(w *bufio.Writer) error
}

// writeStreamed writes v's JSON and a newline to w, as json.Encoder
// would, but the values in it that stream (jsonStreamer) a piece at a
// time: encoding/json makes all of a value's JSON in memory first, and
// --all's list of a hot counter's 142,689 INCRs made 92 MB of it (and
// 1.1 GB of memory in all). Only the parts of v that hold a jsonStreamer
// outside pointers are walked here; the others, and what pointers point
// to, are encoding/json's.
func writeStreamed(w io.Writer, v any) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	if err := streamValue(bw, reflect.ValueOf(v)); err != nil {
		return err
	}
	if err := bw.WriteByte('\n'); err != nil {
		return err
	}
	if !ok {
		return bw.Flush()
	}
	return nil
}

var streamerType = reflect.TypeFor[jsonStreamer]()

// streamValue writes v's JSON to w (writeStreamed).
func streamValue(w *bufio.Writer, v reflect.Value) error {
	t := v.Type()
	if !streams(t) {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if t.Implements(streamerType) {
		return v.Interface().(jsonStreamer).streamJSON(w)
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			_, err := w.WriteString("null")
			return err
		}
		w.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := streamValue(w, v.Index(i)); err != nil {
				return err
			}
		}
		return w.WriteByte(']')
	case reflect.Struct:
		w.WriteByte('{')
		first := true
		for _, f := range jsonFields(t) {
			fv := v.Field(f.index)
			if f.omitEmpty && isEmptyJSON(fv) {
				continue
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			w.Write(f.key)
			if err := streamValue(w, fv); err != nil {
				return err
			}
		}
		return w.WriteByte('}')
	}
	return fmt.Errorf("internal error: cannot stream a %v as JSON", t)
}

// A jsonField is a struct field as encoding/json writes it: its place,
// its key (quoted, with the colon) and whether it is left out when empty.
type jsonField struct {
	index     int
	key       []byte
	omitEmpty bool
}

var (
	streamsMu sync.Mutex
	streamsOf = map[reflect.Type]bool{}
	fieldsOf  = map[reflect.Type][]jsonField{}
)

// streams tells whether a value of type t holds a jsonStreamer outside
// pointers (which streamValue does not follow), and so is walked by
// streamValue rather than written by encoding/json.
func streams(t reflect.Type) bool {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	return streamsLocked(t)
}

func streamsLocked(t reflect.Type) bool {
	if s, ok := streamsOf[t]; ok {
		return s
	}
	streamsOf[t] = false // while it is worked out: a type that holds itself
	s := false
	switch {
	case t.Implements(streamerType):
		s = true
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		s = streamsLocked(t.Elem())
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && !f.Anonymous && f.Tag.Get("json") != "-" && streamsLocked(f.Type) {
				s = true
			}
		}
	}
	streamsOf[t] = s
	return s
}

// jsonFields returns the fields of struct type t that encoding/json
// writes, in order. (Embedded fields are not among them: wat's JSON types
// have none.)
func jsonFields(t reflect.Type) []jsonField {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	if fs, ok := fieldsOf[t]; ok {
		return fs
	}
	var fs []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || f.Anonymous || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		key, _ := json.Marshal(name)
		fs = append(fs, jsonField{index: i, key: append(key, ':'), omitEmpty: hasOpt(opts, "omitempty")})
	}
	fieldsOf[t] = fs
	return fs
}

// hasOpt tells whether a json tag's comma-separated options hold opt.
func hasOpt(opts, opt string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// isEmptyJSON tells whether omitempty leaves v out, as encoding/json
// decides it.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
