// Package formats defines what every log parser produces: normalized
// request events, one per logged request, each remembering the file and
// line it came from.
//
// A log format is a [Format]: a name, a sniffer that recognises the format
// from a file's first lines, and a constructor for a [Parser] that turns
// lines into events. Each format lives in its own package below this one
// (formats/redismonitor, ...); they know nothing of each other, of the
// store or of the specs.
//
// Parsers never drop a line silently. Each line is exactly one of: an
// event, a rejected line (a [*ParseError] naming file:line and why), or a
// counted non-event (such as redis-cli's leading "OK").
package formats

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An Event is one request to a black box, normalized from any log format.
type Event struct {
	ID     int64  // position in the store; the order of a black box's trace
	Source string // the path as given to ingest ("monitor.log", "-" for stdin)
	Line   int    // 1-based line in Source
	Offset int64  // byte offset of the line in the (decompressed) source
	Time   int64  // Unix time in nanoseconds; 0 when the log has none
	System string // the black box the request was sent to: "redis", ...
	NS     string // namespace inside the box (Redis database number)
	Client string // who sent it: "127.0.0.1:50012", "lua", "unix:/tmp/r.sock"
	Op     string // the operation, normalized ("SET", "GET")
	Args   [][]byte
	Reply  []byte // the logged reply; nil when the log has none
	Raw    []byte // the line as it appeared in the log (for a line holding several events, this event's part)
	// Part numbers the events of a line that holds several (1, 2, ...);
	// 0 when the line holds one.
	Part int
	// Partial lists the Args the log cut short (strace -s): each holds
	// only the start of the real value.
	Partial []int
	// Doubt says why the logged arguments may not be the ones sent, when
	// a service's log may have changed them: DoubtJoined or DoubtBase64.
	// The specs say whether that leaves an answer in doubt.
	Doubt string
	// DoubtArgs are the indexes of the Args in doubt, for DoubtBase64.
	DoubtArgs []int
	// Stub marks an event a store made from its index without reading
	// its line (provenance.RunHistory): only ID, System, NS, Op and Args
	// are set; Fill reads the rest when it is shown.
	Stub bool

	// Service is the logging service that sent the request, when the log
	// says ("api"); ReqID, Parent and Trace are the log's own ids for the
	// request, the request that caused it, and its trace.
	Service, ReqID, Parent, Trace string
	// Instance is the instance of the black box the request went to, when
	// a service's log says (a server's address): the name of the instance
	// its own log was ingested as (wat ingest --instance).
	Instance string
	// ClientRecord marks a service's own record of a call it sent to a
	// black box whose log (a MONITOR capture) is ingested too: the call is
	// then in the box's trace once, as the box logged it, and this record
	// only links it to the service's requests.
	ClientRecord bool
	// ReplyRecord marks a line that carries the reply of a request logged
	// on an earlier line: paired by the request's id, or else by order on
	// the same connection (Client). Its Reply is the reply.
	ReplyRecord bool
}

// ReplyUnfinished is the Reply of an event that is the first half of a
// call a log split over two lines (strace's "<unfinished ...>"): the
// call has started, and the event at its second half has the result.
const ReplyUnfinished = "<unfinished ...>"

// GuessedPath begins the path of a decoration a parser gave an argument
// from what earlier lines showed ("3<?/etc/app.conf>"), which the log
// did not print.
const GuessedPath = "?"

// The doubts a log's arguments may carry (Event.Doubt).
const (
	// DoubtJoined: the arguments were read from one text that joins them
	// with spaces, unquoted (OpenTelemetry's db.statement as client
	// libraries write it), so an argument holding a space reads as
	// several; go-redis writes one with a byte outside printable ASCII
	// as hex.
	DoubtJoined = "joined"
	// DoubtBase64: an argument reads as base64 of text, and the library
	// writes byte slices so (log/slog): it may stand for that text.
	DoubtBase64 = "base64"
	// DoubtStructured: an argument was logged as a JSON object or array,
	// which the client library turned into arguments the log does not
	// show.
	DoubtStructured = "structured"
)

// StubAt returns a stub (see Stub) of the request e at another id: one
// of a run of e's request that a store's index holds. keyOnly keeps only
// its first argument, its key, for a run of requests alike but for their
// other arguments.
func (e *Event) StubAt(id int64, keyOnly bool) Event {
	args := e.Args
	if keyOnly && len(args) > 1 {
		args = args[:1]
	}
	return Event{ID: id, System: e.System, NS: e.NS, Op: e.Op, Args: args, Stub: true}
}

// CallKey identifies a request by its content: the black box, the op and
// the arguments. The same request logged by its sender and by its
// receiver has the same CallKey.
func (e *Event) CallKey() []byte {
	b := append([]byte(e.System), 0)
	b = append(b, strings.ToUpper(e.Op)...)
	for _, a := range e.Args {
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, ':')
		b = append(b, a...)
	}
	return b
}

// DecodedCallKey is the CallKey of the request as it was sent if each
// argument in doubt (DoubtArgs) that reads as base64 of text stood for
// that text, for an event whose arguments are in doubt so
// (DoubtBase64); nil otherwise.
// The receiver's own log of the call has that key.
func (e *Event) DecodedCallKey() []byte {
	if e.Doubt != DoubtBase64 {
		return nil
	}
	d := *e
	d.Args = slices.Clone(e.Args)
	changed := false
	for _, i := range e.DoubtArgs {
		if b, ok := Base64Text(e.Args[i]); ok && i < len(e.Args) {
			d.Args[i], changed = b, true
		}
	}
	if !changed {
		return nil
	}
	return d.CallKey()
}

// Base64Text decodes a when it is standard base64 (padded) of printable
// UTF-8 text, as a library that writes byte slices so (log/slog) may
// have written text.
func Base64Text(a []byte) ([]byte, bool) {
	if len(a) < 4 || len(a)%4 != 0 {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(string(a))
	if err != nil || !utf8.Valid(b) {
		return nil, false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return nil, false
		}
	}
	return b, true
}

// Unhex is the value of a hexadecimal digit, for the parsers of logs
// that escape bytes as \xHH.
func Unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// HasReply reports whether the log recorded the request's reply.
func (e *Event) HasReply() bool { return e.Reply != nil }

// Where returns "file:line".
func (e *Event) Where() string {
	if e.Part > 0 {
		return fmt.Sprintf("%s:%d.%d", e.Source, e.Line, e.Part)
	}
	return fmt.Sprintf("%s:%d", e.Source, e.Line)
}

// A Result is what a parser made of one line.
type Result int

const (
	// IsEvent means the line is a request; the event was filled in.
	IsEvent Result = iota
	// IsSkipped means the line is a known non-event (a banner, a blank
	// line) and is counted, not stored as an event.
	IsSkipped
	// IsUnmapped means the line is well formed but says nothing wat maps
	// to a request (an application's own log message); the parser's error
	// says why. It is counted with the skipped lines.
	IsUnmapped
)

// A Parser turns the lines of one source into events. Parse is called once
// per line, in order, with the line's bytes (without the line terminator).
// It returns IsEvent and fills ev, IsSkipped, or an error for a line that
// cannot be read; the error should be a *ParseError without Source and
// Line (the caller fills them in) or will be wrapped as one. The line
// slice is only valid during the call; ev must not keep it.
type Parser interface {
	Parse(line []byte, ev *Event) (Result, error)
}

// A PathParser is a Parser that takes facts from the name of the file it
// reads (strace -ff writes one file per process, PREFIX.PID).
type PathParser interface {
	SetPath(path string)
}

// An Annotator is a Parser that, reading a file in order, can add to an
// event what earlier lines showed (strace without -y: the paths of fds).
// Ingest calls Annotate on each event, in order, before indexing it; the
// additions only index the event (a stored line is parsed again alone).
type Annotator interface {
	Annotate(ev *Event)
}

// A Dropper is a MultiParser that reports the parts of lines it read
// that were not events (spans no mapping rule maps), so the ingest
// summary can count them.
type Dropper interface {
	Dropped() (n int64, why string)
}

// A RuleCounter is a Parser whose configuration has rules (a JSON-lines
// mapping's): it reports how many events each rule made, so the ingest
// summary can say which rules took the lines.
type RuleCounter interface {
	RuleCounts() []RuleCount
}

// A RuleCount is the events one rule of a configuration made.
type RuleCount struct {
	Rule   string
	Events int64
}

// A MultiParser reads lines that may hold several events (an OTLP JSON
// export holds many spans). ParseMulti calls emit for each event of a
// line, in order; each event's Raw must parse again, with Parse, into the
// same event. It returns IsSkipped, IsUnmapped or an error like Parse
// when the line holds no event.
type MultiParser interface {
	Parser
	ParseMulti(line []byte, emit func(*Event)) (Result, error)
}

// Parser returns a parser of the format for the file at path, with a
// configuration (none when empty or the format takes none).
func (f *Format) Parser(config []byte, path string) (Parser, error) {
	p := Parser(nil)
	if len(config) > 0 && f.NewConfigured != nil {
		var err error
		if p, err = f.NewConfigured(config); err != nil {
			return nil, err
		}
	} else {
		p = f.NewParser()
	}
	if pp, ok := p.(PathParser); ok {
		pp.SetPath(path)
	}
	return p, nil
}

// ParsesAlone tells whether each line p reads, parsed on its own, gives
// the event (and so the index) a parse of the whole file gives: not so
// for an Annotator, which completes an event from the lines before it,
// nor a MultiParser, which makes several events of one line.
func ParsesAlone(p Parser) bool {
	_, annotates := p.(Annotator)
	_, multi := p.(MultiParser)
	return !annotates && !multi
}

// A Format is a log format wat can ingest.
type Format struct {
	Name string // "redis-monitor"
	// System is the black box the format's events go to, "" when each
	// line says.
	System string
	Doc    string // one line: what produces this log
	URL    string // the format's reference
	// Sniff reports whether the first lines of a file look like this
	// format, with a confidence from 0 (no) to 100 (certainly).
	Sniff func(lines [][]byte) int
	// NewParser returns a parser for one source.
	NewParser func() Parser
	// NewConfigured, for formats that take a configuration (a JSON-lines
	// mapping), returns a parser using one. The configuration is stored
	// with each source, so stored lines parse again the same way.
	NewConfigured func(config []byte) (Parser, error)
	// Configure, for a format that takes a configuration, chooses one
	// from a file's first lines when none is given (a shipped JSON-lines
	// mapping whose rules map them): the configuration and its name, or
	// nil.
	Configure func(head [][]byte) (config []byte, name string)
	// Samples are real lines of the format; each must sniff and parse.
	Samples []string
	// Separate says that each capture of this format is its own instance
	// of the system unless named otherwise (one server's MONITOR, one
	// machine's strace): files that differ only by rotation or
	// per-process suffixes are one. The logs of other formats (an S3
	// account's access logs, a ZooKeeper ensemble's transaction and audit
	// logs, a service's records) join the history of any instance.
	Separate bool
	// ServerClock says that each line's time is the server's own clock,
	// to the microsecond, read when it logged the request, right after
	// running it, and that the lines are in the order it ran them
	// (MONITOR's, from Redis 7.0 on): the times of a request's
	// neighbours then bound the clock it ran at.
	ServerClock bool
}

// ParseJoined parses a stored event whose log wrote it on two lines, kept
// joined by a newline in line (first and second): q, a fresh parser,
// reads the first line, then the second into ev, whose Raw is then the
// whole of line.
func ParseJoined(q Parser, line []byte, first, second string, ev *Event) (Result, error) {
	var scratch Event
	if _, err := q.Parse([]byte(first), &scratch); err != nil {
		return 0, err
	}
	r, err := q.Parse([]byte(second), ev)
	if err == nil {
		ev.Raw = append([]byte(nil), line...)
	}
	return r, err
}

// CountLines is a Sniff's tally of the first lines of a file: seen is how
// many are not blank, good how many of those ok accepts (given each
// without its newline).
func CountLines(lines [][]byte, ok func(line []byte) bool) (good, seen int) {
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		seen++
		if ok(bytes.TrimSuffix(l, []byte("\n"))) {
			good++
		}
	}
	return good, seen
}

// ErrUnknownFormat is returned by Detect when no format recognises a file.
var ErrUnknownFormat = errors.New("unknown log format")

// Detect returns the format that recognises the given first lines with the
// highest confidence; ties go to the format listed first.
func Detect(lines [][]byte, fs []*Format) (*Format, error) {
	var best *Format
	bestScore := 0
	for _, f := range fs {
		if s := f.Sniff(lines); s > bestScore {
			best, bestScore = f, s
		}
	}
	if best == nil {
		return nil, ErrUnknownFormat
	}
	return best, nil
}

// DetectHeadLines is how many of a file's first lines DetectHead reads.
const DetectHeadLines = 40

// ErrLongFirstLine is returned by DetectHead when a file's first line is
// longer than the head it is given.
var ErrLongFirstLine = errors.New("the first line is too long to tell the format from")

// HeadLines returns the first lines of head (at most DetectHeadLines),
// the beginning of a file, or all of it when whole is set (else a line
// cut off at its end is left out).
func HeadLines(head []byte, whole bool) [][]byte {
	lines := bytes.SplitN(head, []byte("\n"), DetectHeadLines+1)
	switch {
	case len(lines) > DetectHeadLines:
		return lines[:DetectHeadLines]
	case !whole:
		return lines[:len(lines)-1] // the last one is cut off
	}
	return lines
}

// DetectHead is Detect of HeadLines(head, whole). An empty head has no
// format: nil, and no error.
func DetectHead(head []byte, whole bool, fs []*Format) (*Format, error) {
	if len(head) == 0 {
		return nil, nil
	}
	if !whole && bytes.IndexByte(head, '\n') < 0 {
		return nil, ErrLongFirstLine
	}
	return Detect(HeadLines(head, whole), fs)
}

// Lookup returns the format with the given name.
func Lookup(name string, fs []*Format) (*Format, error) {
	for _, f := range fs {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, name)
}

// A ParseError is a line that could not be read as the format.
type ParseError struct {
	Source string
	Line   int
	Err    error
}

func (e *ParseError) Error() string {
	if e.Source == "" && e.Line == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Errorf returns a *ParseError with a formatted reason and no position.
func Errorf(format string, a ...any) error {
	return &ParseError{Err: fmt.Errorf(format, a...)}
}

// A Ref is one key an event touches, as the store indexes it.
type Ref struct {
	// NS is the namespace of the key; AllNS for every namespace.
	NS string
	// Key is the key; nil means every key of the namespace.
	Key []byte
	// Kind says what the event does to the key: KindRead, KindWrite or
	// KindReset.
	Kind int
	// Class, for a write, is not 0 when the event changes only the parts
	// of Key that Parts names (a set's members, a hash's fields), and
	// only in a way that does not depend on the key's other parts: the
	// spec's small number (1 to MaxClass) for such writes of one kind of
	// value. The store then indexes the write under each part as well,
	// so a spec can read one part's history without the key's (see
	// provenance.PartHistory).
	Class int
	// Parts are the parts of Key a write of a Class changes.
	Parts [][]byte
	// Shape, when not 0, says what a write does to Key: two writes of
	// one key with the same Shape change it alike for the spec's rules
	// whatever else the store holds (the same request, or requests alike
	// in what the rules read of them, as the spec defines). The store
	// keeps the shapes beside the key's list, so that a spec can read a
	// hot key's history as runs of like writes without reading each
	// (provenance.RunHistory). 0 says nothing.
	Shape uint64
}

// MaxClass is the largest Ref.Class.
const MaxClass = 7

// AllNS is the namespace of a Ref that touches every namespace.
const AllNS = "*"

// Ref kinds.
const (
	// KindRead: the event does not change the key.
	KindRead = 0
	// KindWrite: the event may change the key, depending on the state.
	KindWrite = 1
	// KindReset: the event leaves the key in a state that does not depend
	// on anything before it.
	KindReset = 2
)

// Quote renders bytes for a terminal the way redis-cli does: double-quoted,
// printable ASCII as is, quotes and backslashes escaped, every other byte
// as \n \r \t \a \b or \xHH, so no control byte reaches the screen.
func Quote(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\a':
			sb.WriteString(`\a`)
		case c == '\b':
			sb.WriteString(`\b`)
		case c < 0x20 || c >= 0x7f:
			const hex = "0123456789abcdef"
			sb.WriteString(`\x`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
