package posix

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A file is an inode: its bytes, which of them are known (a file that
// existed before the trace has unknown content), and whether bytes past
// the known ones may exist.
type file struct {
	data    []byte
	known   []bool
	unknown bool // content past data is unknown (a file older than the trace)
	pipe    bool // reads take the bytes written first
	// dir: a directory. Its entries are the names under it; one the
	// trace made (mkdir) has no others, so a name under it that the
	// trace has not made does not exist. One older than the trace
	// (unknown) may hold any.
	dir bool
	// slab: data and known are the shared unknown bytes (unknownBytes):
	// none is known, and none may be written.
	slab bool
	// shown: data and known are the bytes the trace's reads showed of a
	// file older than the trace (Model.shown, state.olderBytes), shared
	// by every replay: none may be written, and they are the pristine
	// path's whatever the replay (AppendFingerprint names them so).
	shown bool
	// crossed holds, for a pipe, the processes since whose last call
	// another process has read it (crossedRead) or written it
	// (crossedWrite): a call of theirs that strace split (see
	// state.split) may have taken effect before that use or after, which
	// the trace does not say.
	crossed map[string]uint8
	// raced: such a call came, so the pipe's content is unknown, or a
	// read took bytes of a write still in flight (ahead).
	raced bool
	// ahead counts the bytes reads of a pipe took of a write strace
	// split, which was in flight while they ran and which the replay,
	// placing it at its resumed line, has not put yet: the first bytes
	// that write puts were taken already.
	ahead int64
	// aliased names another path that may name this same file: one of
	// the two is relative to a working directory the trace does not show
	// (strace without -y), and the other ends with it. Writes through
	// either may have changed the other, so its content and size are
	// unknown from then on.
	aliased string
	// guessedSize: its size is a stat's logged one, taken in a replay
	// that did not reach that call as the whole history's did
	// (state.trusted): the log may have shown another file's, or this one
	// after calls the replay lacks. What shows the size (a stat, an
	// lseek to the end, a read's count) is then the log's, not the
	// replay's, so a same output is no proof (state.sizeGuessed).
	guessedSize bool
	// symlink: a symbolic link the trace made (symlink, symlinkat); data
	// holds the path it points to. Resolving a path follows it (follow).
	symlink bool
	// tail, for a pipe or a file whose bytes are shared, is the room
	// past the end of data's (and known's) array that no file sharing it
	// has taken: a file whose own room is that much may put its bytes
	// there (claim); others copy.
	tail *pipeTail
	// eventfd: an eventfd (eventfd2), whose counter is count; semaphore:
	// made with EFD_SEMAPHORE, so that a read takes 1 of it, not all.
	// writing and reading count its writes and reads in flight: strace
	// split them, and their first halves are replayed. A read with a
	// write in flight, or a write with a read in flight, may come before
	// the other or after: the read's bytes are unknown, and so is the
	// counter (countUnknown) until a read empties it with none in flight.
	eventfd, semaphore, countUnknown bool
	count                            uint64
	writing, reading                 int
	// sharedBytes: data and known are shared with other files, the
	// copies mutable made of one file for clones of a state. Their bytes
	// are not written in place (ownBytes copies them first), and the
	// room past their end is claimed through tail, as a pipe's: a search
	// replays a file being written in every subset it tries, and copying
	// all of it at each write was most of what a read of GNU sort's
	// temporary file allocated.
	sharedBytes bool
	// mapped: a process mapped it shared and writable (mmap MAP_SHARED
	// with PROT_WRITE, as SQLite maps a WAL's -shm file): what it wrote
	// through the mapping is not in the trace, so the content is unknown
	// from then on (the size is not: a mapping does not change it).
	mapped bool
	// flight holds, for a pipe, the writes in flight: strace printed the
	// first half of each (an event of its own), not yet the second. By
	// process, the bytes of each that no read has taken: a read that
	// takes more than the pipe holds took them from such a write, and
	// when only one is in flight and no other process wrote since it
	// began, they are its first bytes (take).
	flight map[string]flight
	// pristine is the absolute path a file older than the trace had when
	// the replay first reached it (lookup), for as long as its content is
	// that path's from before the trace: no call of the replay wrote it,
	// truncated it, copied into it or mapped it, and what the replay took
	// from the log about it (a size, an lseek's offset) is what the
	// whole trace's replay took for the same file. A read of it takes the
	// bytes that path held then, in any subtrace: two reads of it at one
	// offset give the same bytes, whatever they are (chunk.src). "" for
	// any other file.
	pristine string
	// older is the absolute path a file older than the trace had when
	// the replay first reached it, kept when calls change its bytes
	// (and through an O_TRUNC open): its bytes from before the trace may
	// be the ones the trace wrote over them (chunk.older).
	older string
	// wild: a call wrote it at an offset that was a guess (ofd.guessed):
	// its bytes may not be where the replay has them.
	wild bool
}

// A flight is a write in flight on a pipe: the bytes of it no read has
// taken, how many were taken, and the event where it resumed (0: not in
// the history), after which it is in flight no longer.
type flight struct {
	rest  chunk
	taken int64
	until int64
}

// live tells whether a write is still in flight at event at.
func (w flight) live(at int64) bool { return w.until == 0 || at < w.until }

// An ofd is an open file description: dup and fork share it.
type ofd struct {
	ino    int
	off    int64
	append bool
	// madeBy is the event ID of the call that made the description (an
	// open, a pipe's, an eventfd's), 0 for one bound anew (inherited).
	madeBy int64
	// listed: the names a directory held when getdents64 read them all
	// through this description (off is then past them).
	listed string
	// guessed: off came from the log (a read's count or an lseek's
	// result on a file whose size the trace does not show) in a replay
	// where that call reached another file than in the whole trace's
	// (state.trusted): the offset may not be the kernel's.
	guessed bool
	// inherited: bound anew to the file -y names (bound), as open before
	// the trace or in a process whose fds the replay does not know:
	// other processes, as the replay sees them, may share it, and their
	// writes move its offset where the replay does not.
	inherited bool
}

type fdEntry struct {
	o       *ofd
	cloexec bool
}

// install binds fd in pid's table to en. A number still bound is one a
// split close of another thread had freed: the kernel gives only free
// numbers, and it frees a number as close begins, while the replay
// places a close that strace split ("<unfinished ...>") at its resumed
// line. That close, when it comes, ended the entry replaced here, not
// whatever holds the number then (proc.owed). dup2 and dup3, which
// replace what their fd held, do not call install.
func (st *state) install(pid string, fd int, en *fdEntry) {
	p := st.proc(pid)
	if _, bound := p.fds[fd]; bound {
		if p.owed == nil {
			owed := map[int]int{}
			for _, q := range st.procs {
				if sameTable(p, q) {
					q.owed = owed
				}
			}
		}
		p.owed[fd]++
	}
	p.fds[fd] = en
}

// A proc is a process: its fd table (shared by threads) and its working
// directory as strace's AT_FDCWD decorations show it.
type proc struct {
	fds map[int]*fdEntry
	// owed counts, by fd number, the split closes of the table's threads
	// still to resume whose entry a later call has replaced (install):
	// each such close, at its resumed line, leaves the number's entry as
	// it is. Shared, like fds, by the threads; nil when none is owed.
	owed map[int]int
	cwd  string
}

// creatorPending returns the process inside a creating call (pending)
// that made pid, a process the replay has not seen: the one process
// inside such a call, when there is one.
func (st *state) creatorPending(pid string) (string, bool) {
	if len(st.pending) == 1 {
		for parent := range st.pending {
			if parent != pid {
				return parent, true
			}
		}
	}
	return "", false
}

// splitChildren returns, by the first half of each creating call strace
// split in hist (oldest first), the process its second half returned
// (Model.children), and those second halves (Model.resumed).
func splitChildren(hist []*formats.Event) (children map[int64]string, resumed map[int64]bool) {
	split := map[string]int64{}
	for _, e := range hist {
		c := parseCall(e)
		switch {
		case !creates(c.op):
		case c.unfinished:
			split[c.pid] = e.ID
		default:
			if half, ok := split[c.pid]; ok && c.ok() && c.ret > 0 {
				setKey(&children, half, strconv.FormatInt(c.ret, 10))
				setKey(&resumed, e.ID, true)
			}
			delete(split, c.pid)
		}
	}
	return children, resumed
}

// sameTable tells whether p and q are threads of one fd table.
func sameTable(p, q *proc) bool {
	return reflect.ValueOf(p.fds).Pointer() == reflect.ValueOf(q.fds).Pointer()
}

// name states of a path.
const (
	unknownName = iota // not seen yet: the trace tells
	present
	absent
)

type state struct {
	// files may be shared with clones: mutable returns one this state
	// may change, copying it first when it is not its own. The map
	// itself is shared with a clone too (sharedFiles) until ownFiles
	// copies it for a write.
	files       map[int]*file
	sharedFiles bool
	// own holds the files this state may change in place; nil in a
	// fresh clone, as are pending, early and crossing when empty (setKey
	// makes them).
	own   map[int]bool
	names map[string]int // path -> inode; a negative inode means absent
	// namesOrder is names' keys sorted, once a fingerprint asked, shared
	// with clones as names are until ownNames drops it: a search takes
	// a fingerprint at every subset it tries, and sorting a git
	// repository's hundreds of names each time was a quarter of it.
	namesOrder []string
	last       map[int]string // inode -> the name it had last (an unlinked file's, strace shows)
	procs      map[string]*proc
	// pending holds the processes inside a call that creates a process
	// (strace printed its first half), and whether it shares the fd
	// table (CLONE_FILES): the new process may act before the call
	// returns, with a copy of its creator's fds or the same table.
	pending map[string]bool
	// early holds the processes made from a pending call, which its end
	// must not make again.
	early map[string]bool
	next  int
	// okCall: the logged result of the call being replayed is a success.
	okCall bool
	// learned holds the names a call's logged result showed to exist
	// when the replay did not know them (lookup): a file from before the
	// trace, as far as this replay can tell. False when the call may have
	// made it (an O_CREAT open without O_EXCL or O_TRUNC). A directory's
	// name with "/" after it: an rmdir's logged ENOTEMPTY showed it held
	// names, of which the replay knew none.
	learned map[string]bool
	// pid is the process of the call being replayed, and split tells
	// whether strace split that call ("<unfinished ...>", then "<...
	// resumed>" lines later): it ran from the first line to the second,
	// while the calls between them ran, and the replay places it at the
	// second.
	pid   string
	split bool
	// at is the event ID of the call being replayed.
	at int64
	// prior holds, by event ID, what each call that took a value from
	// the log about a file older than the trace reached in the whole
	// trace's replay (Model.prior), and record collects it in that
	// replay (trusted).
	prior, record map[int64]string
	// older is Model.older; olderSeen collects it in the replay that
	// makes it (noteOlder): 1 existed, -1 did not, 0 the calls disagree
	// (a process outside the trace made or removed it). olderLast: the
	// call being replayed is the target, whose result may show such a
	// disagreement but is no fact for its own output.
	older     map[string]bool
	olderSeen map[string]int8
	olderLast bool
	// sizes is Model.sizes; sizeSeen collects it in the replay that makes
	// it: by pristine path, the size the first such stat showed.
	sizes    map[string]int64
	sizeSeen map[string]int64
	// listings is Model.listings; listingSeen collects it in the replay
	// that makes it: by pristine path, the first listing shown, "" where
	// two differ.
	listings, listingSeen map[string]string
	// touched holds the directories in which the replay made or removed
	// a name ("?" for a name it does not place in a directory: relative
	// to one it does not know), and, after "mv:", the paths it renamed
	// from and to.
	touched map[string]bool
	// shown is Model.shown; shownSeen collects it in the replay that
	// makes it (learnShown).
	shown, shownSeen map[string]*shownBytes
	// bindings is Model.bindings; bindingSeen collects it in the replay
	// that makes it.
	bindings, bindingSeen map[fdUse]int64
	// takes is Model.takes, taking collects it in the replay that makes
	// it, and guessed is Model.guessed (fromLog).
	takes, taking map[takeKey]bool
	guessed       *atomic.Bool
	// crossing holds the pipes whose crossed sets are not empty.
	crossing map[int]bool
	// bases holds, by a name's last element, which kinds of names
	// (aliasKind) have been bound with it: whether noteAlias must look
	// at the names for one that may name the same file. A function of
	// names' history, it changes no output but when noteAlias looks.
	bases map[string]uint8
	// quiet: the call runs for its effect alone (Step, SameOutput), and
	// the bytes a read or a copy gives are kept in got, not rendered
	// into its output.
	quiet bool
	got   *chunk
	// unshown, when the call just replayed gave an output the trace does
	// not decide ("access ?", "stat ?", "stat size=?"), names the fact
	// from before the trace that decides it, when only that one does:
	// whether a path existed (its name), or a file's size ("size:" and
	// its pristine path). "" for any other output. Two replays that
	// give the same such output for the same fact give it certainly
	// (SameOutput): the state before the trace is one.
	unshown string
	// sizeGuessed: the call replayed last showed the size of a file
	// whose size is a guess (file.guessedSize).
	sizeGuessed bool
	// links: the trace has made a symlink, which resolving a path must
	// look for (follow).
	links bool
	// sharedNames: names, last, learned, bases and touched are shared with a
	// clone (or the state it was cloned from) until ownNames copies them
	// for a write. Most calls write none of them, and copying every name
	// of a trace at each subset a search tries was most of a Clone.
	sharedNames bool
}

// ownFiles makes the files map this state's own, to write: every write
// to it comes after it.
func (st *state) ownFiles() {
	if st.sharedFiles {
		st.files = maps.Clone(st.files)
		st.sharedFiles = false
	}
}

// setKey sets m[k] to v, making m when it is nil.
func setKey[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// cloneFull is maps.Clone, but nil for an empty map: most states have
// no process half-created and no pipe crossed, and a search clones a
// state at every subset it tries.
func cloneFull[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// ownNames makes names, last, learned and bases this state's own, to
// write: every write to them comes after it.
func (st *state) ownNames() {
	if st.sharedNames {
		st.names, st.last, st.learned, st.bases, st.touched = maps.Clone(st.names), maps.Clone(st.last), maps.Clone(st.learned), maps.Clone(st.bases), maps.Clone(st.touched)
		st.sharedNames = false
	}
	st.namesOrder = nil // names are written next
}

// Model is the POSIX file-system model replayed over strace events.
type Model struct {
	// dirs holds the working directory of calls on relative paths, by
	// event ID, as the whole trace shows it: a fact of the trace, which
	// a call has in any subtrace (see workingDirs). Without it the replay
	// takes a process's directory from the AT_FDCWD decorations of its
	// calls it has replayed.
	dirs map[int64]string
	// calls, when not nil, keeps each event's parsed call: a search
	// replays each event thousands of times, and parsing it again each
	// time was a sixth of a search's work. A call is never changed once
	// parsed, so the replays of concurrent searches share it.
	calls *sync.Map // *formats.Event -> call
	// ends maps the first half of a write in flight (call.inflight) to
	// the event where it resumed, a fact of the trace like dirs: a read
	// after that took none of its bytes, whatever the subtrace holds.
	ends map[int64]int64
	// prior is what the whole trace's replay reached at each call that
	// took a value from the log about a file older than the trace
	// (state.prior; recordPrior makes it), a fact of the trace like
	// dirs. Without it, every such value is taken as a guess.
	prior map[int64]string
	// older holds, by absolute path, whether the name existed before
	// the trace, where the whole trace shows it (recordOlder makes it):
	// a call on it, before any call of the trace touched it or its
	// directories, that found it or did not. A fact of the trace like
	// dirs: a replay that reaches the name as it was before the trace
	// (state.olderFact) takes it from here, not from the logged result of
	// the call at hand, which calls the subtrace may lack had decided.
	older map[string]bool
	// sizes holds, by the path of a file older than the trace, its size
	// before the trace, where the whole trace shows it (recordOlder makes
	// it): a stat of an fd on it while no call of the trace had changed
	// it. A fact of the trace like older: every replay makes the file
	// that size (state.newOlder), so no replay learns another from a
	// stat whose log it may not reach as the whole trace did, and a
	// stat, a read or an lseek to the end of the file in any subtrace
	// gives what the kernel gives.
	sizes map[string]int64
	// listings holds, by the path of a directory older than the trace,
	// what a getdents64 from its start gave ("getdents N entries S"),
	// where the whole trace shows it (recordOlder makes it): a listing
	// while no call of the trace had made or removed a name in it, nor
	// moved it. A fact of the trace like sizes: a replay that lists it
	// while it holds the names it held before the trace (state.touched)
	// gives what the kernel gave.
	listings map[string]string
	// shown holds, by the path of a file older than the trace, the bytes
	// the whole history's reads showed of it (recordPrior makes it, in
	// Spec.Explain from the history learnFacts takes the facts of): a read
	// of it at an offset the replay knows, while no call of the trace had
	// changed it, shows what it held before the trace there. A fact of
	// the trace like sizes: every replay that makes the file that size
	// makes it with those bytes known (state.olderBytes), so a read at
	// another offset in a subtrace gives bytes the trace showed, which
	// the search can tell apart from the whole trace's, where it would
	// otherwise have to take two runs of unknown bytes alike.
	shown map[string]*shownBytes
	// bindings holds the uses of fds (a call and its fd number) that the
	// whole trace's replay found bound by a call of the trace, and that
	// call: the open (a pipe's, an eventfd's) that made the open file
	// description, reached through the dups and forks that passed it on
	// (recordOlder makes it). A replay that does not find such a use bound
	// to the description that call made, as its subtrace lacks a call of
	// that chain, takes the fd as not open (state.bound): the number was
	// free before that call in the trace, and the call that reached it
	// then is the one that bound the fd, not one from before the trace
	// nor another open of the same file that a subtrace left open. Which
	// number an open gets is the open's own output; a read's answer holds
	// the open that bound its fd, not the calls that freed the lower
	// numbers.
	bindings map[fdUse]int64
	// children holds, by the first half of each creating call strace
	// split, the process its second half returned: a fact of the trace
	// (splitChildren makes it). A replay makes that process at the first
	// half, with a copy of its creator's fds (or its table), with or
	// without the second: not the first process of unknown creation that
	// calls after it (state.pending), as where the trace does not show
	// the second half.
	children map[int64]string
	// resumed holds the second halves of the calls of children. They
	// change nothing: the call made its process at its first half, and a
	// subtrace without that half has none (the halves are one call, which
	// strace printed in two lines), so no witness needs a second half.
	resumed map[int64]bool
	// takes holds what the whole history's replay took from the log
	// where the replay did not decide it (state.fromLog), by event ID and
	// what: a replay that takes another thing from a call's log, or at
	// another call, guesses it (the log says what the kernel did after
	// the calls of the whole trace, not after this subtrace's), and sets
	// guessed. nil: no such check (the brute-force tests' model, and an
	// output that shows bytes or a size: a file the replay takes to be
	// older than the trace has bytes taken to differ from any the trace
	// shows, as the answers say, whether it existed or not).
	takes map[takeKey]bool
	// guessed, when not nil, is set when a replay's verdict rests on
	// whether a name existed before the trace (or a directory held
	// names, or a file's type) where neither the replay nor the whole
	// trace decides it (state.fromLog, state.guess, SameOutput).
	guessed *atomic.Bool
	// doubt, when not nil, is set by SameOutput's test when a verdict
	// is not certain (certain): it rests on bytes or a count the trace
	// does not show that are not one file's from before the trace at one
	// offset (chunk.src). The real bytes may be alike where the model
	// takes them to differ, or the other way round, and then the
	// witnesses would not be these.
	doubt *atomic.Bool
}

// call returns e's call, parsed once where the model keeps them.
func (m Model) call(e *formats.Event) call {
	if m.calls == nil {
		return parseCall(e)
	}
	if c, ok := m.calls.Load(e); ok {
		return c.(call)
	}
	c := parseCall(e)
	m.calls.Store(e, c)
	return c
}

var _ provenance.Model = Model{}

// Init returns the empty state: no path known, no process known.
func (m Model) Init() provenance.State {
	return &state{files: map[int]*file{}, own: map[int]bool{}, names: map[string]int{}, last: map[int]string{}, procs: map[string]*proc{}, pending: map[string]bool{}, early: map[string]bool{}, next: 1,
		learned: map[string]bool{}, crossing: map[int]bool{}, bases: map[string]uint8{}, touched: map[string]bool{}, prior: m.prior, older: m.older, sizes: m.sizes, listings: m.listings, shown: m.shown, bindings: m.bindings, takes: m.takes, guessed: m.guessed}
}

// recordPrior replays a history (oldest first) and its target, and
// returns what each call that took a value from the log about a file
// older than the trace reached (Model.prior), what the replay took from
// the log (Model.takes), and, if learn, the bytes its reads showed of
// files older than the trace (Model.shown): in this replay the log's
// values are the kernel's.
func (m Model) recordPrior(hist []*formats.Event, target *formats.Event, learn bool) (map[int64]string, map[takeKey]bool, map[string]*shownBytes) {
	st := m.Init().(*state)
	st.record, st.taking = map[int64]string{}, map[takeKey]bool{}
	if learn {
		st.shownSeen = map[string]*shownBytes{}
	}
	for _, e := range hist {
		m.Step(st, e)
	}
	m.Apply(st, target)
	var shown map[string]*shownBytes
	for p, b := range st.shownSeen {
		if b.agree() {
			setKey(&shown, p, b)
		}
	}
	return st.record, st.taking, shown
}

// A takeKey is a thing a call's logged result decided in a replay
// (state.fromLog): what, at the call with event ID at.
type takeKey struct {
	at   int64
	what string
}

// fromLog notes that the call being replayed takes what from its logged
// result, the replay not deciding it: whether a name exists ("name:"),
// whether a directory does ("dir:"), whether one holds names ("full:"),
// a file's type ("type:"). In the whole history's replay that is the
// kernel's answer after the calls before it, which the search's replays
// take as a fact; in another replay (a subtrace) that took no such thing
// there, the kernel's answer may have been another: its verdicts are
// guesses (Model.takes).
func (st *state) fromLog(what string) {
	k := takeKey{st.at, what}
	switch {
	case st.taking != nil:
		st.taking[k] = true
	case st.takes != nil && st.guessed != nil && !st.takes[k]:
		st.guessed.Store(true)
	}
}

// facts are what a whole history shows of the state before the trace
// and of its own calls: Model.older, Model.sizes, Model.bindings and
// Model.children.
type facts struct {
	older    map[string]bool
	sizes    map[string]int64
	listings map[string]string
	bindings map[fdUse]int64
	children map[int64]string
	resumed  map[int64]bool
}

// boundByTrace returns the call of the trace that bound the fd a call
// uses first (its first argument), where the whole trace shows one
// (Model.bindings): in a subtrace without it, the fd is not open.
func (m Model) boundByTrace(e *formats.Event) (int64, bool) {
	fd, _ := fdOf(m.call(e).arg(0))
	by, ok := m.bindings[fdUse{e.ID, fd}]
	return by, ok
}

// An fdUse is a call's use of an fd: the call's event ID and the number.
type fdUse struct {
	at int64
	fd int
}

// withFacts returns m with the facts f.
func (m Model) withFacts(f facts) Model {
	m.older, m.sizes, m.listings, m.bindings, m.children, m.resumed = f.older, f.sizes, f.listings, f.bindings, f.children, f.resumed
	return m
}

// recordOlder replays a history (oldest first) and its target, and
// returns what the history's calls show of the state before the trace:
// of each name (Model.older), what the first call that reached it as it
// was before the trace showed, where no later one (the target included)
// showed otherwise; the sizes of files older than the trace
// (Model.sizes); the uses of fds bound by calls of the history
// (Model.bindings), replayed with the processes its split creating calls
// made (Model.children). A call that only asks (onlyAsks) is no fact: no
// history holds it, so the brute-force tests' model, which makes the
// facts from the whole trace, must not take it either.
func (m Model) recordOlder(hist []*formats.Event, target *formats.Event) facts {
	all := hist
	if target != nil {
		all = append(slices.Clip(hist), target)
	}
	children, resumed := splitChildren(all)
	m = m.withFacts(facts{children: children, resumed: resumed})
	st := m.Init().(*state)
	st.olderSeen, st.sizeSeen, st.listingSeen, st.bindingSeen = map[string]int8{}, map[string]int64{}, map[string]string{}, map[fdUse]int64{}
	for _, e := range hist {
		if !onlyAsks(m.call(e)) {
			m.Step(st, e)
		}
	}
	if target != nil {
		st.olderLast = true
		m.Step(st, target)
	}
	older := make(map[string]bool, len(st.olderSeen))
	for p, v := range st.olderSeen {
		if v != 0 {
			older[p] = v > 0
		}
	}
	var sizes map[string]int64
	for p, n := range st.sizeSeen {
		if n >= 0 {
			setKey(&sizes, p, n)
		}
	}
	var listings map[string]string
	for p, l := range st.listingSeen {
		if l != "" {
			setKey(&listings, p, l)
		}
	}
	return facts{older: older, sizes: sizes, listings: listings, bindings: st.bindingSeen, children: children, resumed: resumed}
}

// newOlder makes the file p names, older than the trace, as the replay
// first reaches it, and returns its inode: its bytes unknown, its size
// the one the trace shows (Model.sizes), if it shows one.
func (st *state) newOlder(p string) int {
	f := &file{unknown: true}
	if strings.HasPrefix(p, "/") {
		f.pristine, f.older = p, p
	}
	n, sized := st.sizes[f.pristine]
	if sized = sized && n <= maxLearnedSize; sized {
		// Shared bytes, unknown but for those the trace's reads showed,
		// as a stat's learned size makes them: a write copies them first
		// (mutable).
		f.data, f.known, f.shown = st.olderBytes(f.pristine, n)
		f.slab, f.unknown = !f.shown, false
	}
	ino := st.newFile(f)
	if sized {
		delete(st.own, ino)
	}
	return ino
}

// trusted tells whether a value the call being replayed takes from the
// log about a file older than the trace (its size, an offset) is the
// kernel's in this replay: the call reaches what key names (the file's
// pristine path, and where in it), as it did in the whole trace's
// replay, where the log's values are the kernel's. "" names nothing
// that can be trusted.
func (st *state) trusted(key string) bool {
	if st.record != nil {
		st.record[st.at] = key
		return true
	}
	k, ok := st.prior[st.at]
	return ok && key != "" && k == key
}

// Clone copies a state, keeping open file descriptions shared where they
// were.
func (Model) Clone(s provenance.State) provenance.State {
	st := s.(*state)
	c := &state{files: st.files, sharedFiles: true, names: st.names, namesOrder: st.namesOrder, last: st.last,
		procs: make(map[string]*proc, len(st.procs)), pending: cloneFull(st.pending), early: cloneFull(st.early), next: st.next,
		learned: st.learned, crossing: cloneFull(st.crossing), bases: st.bases, touched: st.touched, sharedNames: true, links: st.links, prior: st.prior, older: st.older, sizes: st.sizes, listings: st.listings, shown: st.shown, bindings: st.bindings, takes: st.takes, guessed: st.guessed}
	clear(st.own)         // its files are shared now
	st.sharedFiles = true // and the map of them
	st.sharedNames = true // and its names
	// The copies of fd entries, open file descriptions and processes are
	// made in one slice each: pointers into them stay put, as each has
	// room for all.
	nfds := 0
	for _, p := range st.procs {
		nfds += len(p.fds)
	}
	ents, descs, procs := make([]fdEntry, 0, nfds), make([]ofd, 0, nfds), make([]proc, 0, len(st.procs))
	ofds := make(map[*ofd]*ofd, nfds)
	type table struct {
		fds  map[int]*fdEntry
		owed map[int]int
	}
	var tables map[uintptr]table
	for pid, p := range st.procs {
		id := reflect.ValueOf(p.fds).Pointer() // threads share one table
		tb, copied := tables[id]
		if !copied {
			t := make(map[int]*fdEntry, len(p.fds))
			for fd, en := range p.fds {
				o, ok := ofds[en.o]
				if !ok {
					descs = append(descs, *en.o)
					o = &descs[len(descs)-1]
					ofds[en.o] = o
				}
				ents = append(ents, fdEntry{o: o, cloexec: en.cloexec})
				t[fd] = &ents[len(ents)-1]
			}
			tb = table{fds: t, owed: maps.Clone(p.owed)}
			if len(st.procs) > 1 {
				setKey(&tables, id, tb)
			}
		}
		procs = append(procs, proc{fds: tb.fds, owed: tb.owed, cwd: p.cwd})
		c.procs[pid] = &procs[len(procs)-1]
	}
	return c
}

// Fingerprint renders a state canonically (AppendFingerprint).
func (m Model) Fingerprint(s provenance.State) string {
	return string(m.AppendFingerprint(make([]byte, 0, 256), s))
}

// AppendFingerprint implements provenance.Merger: a process that opens
// a file, reads it and closes it leaves the state as it found it but for
// what it learned of the file, so the subsets of a history of such
// processes reach few states. It renders names, inodes with their bytes
// (which are known as runs), processes with their fds, open file
// descriptions numbered in order of first use (so sharing shows).
func (Model) AppendFingerprint(b []byte, s provenance.State) []byte {
	st := s.(*state)
	num := func(n int64) { b = strconv.AppendInt(b, n, 10) }
	if st.namesOrder == nil && len(st.names) > 0 {
		st.namesOrder = slices.Sorted(maps.Keys(st.names))
	}
	for _, n := range st.namesOrder {
		b = append(append(b, n...), '=')
		num(int64(st.names[n]))
		b = append(b, ';')
	}
	if len(st.touched) > 0 {
		for _, d := range slices.Sorted(maps.Keys(st.touched)) {
			b = append(append(append(b, 'T'), d...), ';')
		}
	}
	for _, i := range slices.Sorted(maps.Keys(st.files)) {
		f := st.files[i]
		b = append(b, '#')
		num(int64(i))
		b = append(b, ':')
		num(int64(len(f.data)))
		b = append(b, ':')
		// Runs of known bytes, with the bytes, and of unknown ones,
		// whose values no output shows (render, sameBytes): a file
		// older than the trace is a count, not its size in zeros.
		kb := boolBytes(f.known)
		switch {
		case f.slab:
			kb = nil // none known
			b = append(b, '-')
			num(int64(len(f.known)))
		case f.shown && f.pristine != "":
			kb = nil // the pristine path's bytes the trace showed (its 'P' below)
			b = append(b, 'S')
			num(int64(len(f.known)))
		}
		for j := 0; j < len(kb); {
			k := len(kb)
			if r := bytes.IndexByte(kb[j:], 1-kb[j]); r >= 0 {
				k = j + r
			}
			if f.known[j] {
				b = append(b, '+')
				num(int64(k - j))
				b = append(append(b, ':'), f.data[j:k]...)
			} else {
				b = append(b, '-')
				num(int64(k - j))
			}
			j = k
		}
		for _, mark := range []struct {
			on bool
			c  byte
		}{{f.unknown, 'u'}, {f.pipe, 'p'}, {f.dir, 'd'}, {f.raced, 'r'}, {f.mapped, 'm'}, {f.symlink, 'l'}, {f.eventfd, 'e'}, {f.semaphore, 's'}, {f.countUnknown, '?'}} {
			if mark.on {
				b = append(b, mark.c)
			}
		}
		if f.ahead > 0 {
			b = append(b, '+')
			num(f.ahead)
		}
		if f.aliased != "" {
			b = append(append(append(b, 'a'), f.aliased...), ',')
		}
		if f.eventfd {
			// The counter (when known), and the reads and writes in
			// flight.
			count := int64(-1)
			if !f.countUnknown {
				count = int64(f.count)
			}
			for _, n := range []int64{count, int64(f.writing), int64(f.reading)} {
				num(n)
				b = append(b, ',')
			}
		}
		for _, p := range slices.Sorted(maps.Keys(f.crossed)) {
			b = append(append(append(b, 'x'), p...), '0'+f.crossed[p], ',')
		}
		for _, p := range slices.Sorted(maps.Keys(f.flight)) {
			w := f.flight[p]
			b = append(append(append(b, 'w'), p...), ',')
			num(w.taken)
			b = append(b, ',')
			num(w.rest.n)
			for i := range w.rest.data {
				if w.rest.knownAt(i) {
					b = append(b, w.rest.data[i])
				} else {
					b = append(b, 0, '?')
				}
			}
			b = append(b, ',')
		}
		if f.pristine != "" {
			b = append(append(append(b, 'P'), f.pristine...), ',')
		}
		if f.older != "" && f.older != f.pristine {
			b = append(append(append(b, 'O'), f.older...), ',')
		}
		if f.wild {
			b = append(b, 'W')
		}
		b = append(append(append(b, '/'), st.last[i]...), ';')
	}
	// The next inode number, and the kinds of names bound with each last
	// element (noteAlias looks at the names only when one was).
	b = append(b, 'n')
	num(int64(st.next))
	for _, base := range slices.Sorted(maps.Keys(st.bases)) {
		b = append(append(append(b, 'b'), base...), '0'+st.bases[base], ';')
	}
	for _, p := range slices.Sorted(maps.Keys(st.pending)) {
		b = append(append(b, "creating:"...), p...)
		if st.pending[p] {
			b = append(b, '+')
		}
		b = append(b, ';')
	}
	for _, p := range slices.Sorted(maps.Keys(st.early)) {
		b = append(append(append(b, "early:"...), p...), ';')
	}
	ofds := map[*ofd]int{}
	tables := map[uintptr]int{}
	for _, p := range slices.Sorted(maps.Keys(st.procs)) {
		pr := st.procs[p]
		b = append(append(append(append(b, 'p'), p...), '('), pr.cwd...)
		b = append(b, ')')
		id := reflect.ValueOf(pr.fds).Pointer()
		if t, ok := tables[id]; ok { // a thread: the same table
			b = append(b, '=')
			num(int64(t))
			continue
		}
		tables[id] = len(tables)
		for _, fd := range slices.Sorted(maps.Keys(pr.fds)) {
			en := pr.fds[fd]
			o, ok := ofds[en.o]
			if !ok {
				o = len(ofds)
				ofds[en.o] = o
			}
			num(int64(fd))
			b = append(b, '>')
			num(int64(o))
			if !ok {
				b = append(b, '>')
				num(int64(en.o.ino))
				b = append(b, '@')
				num(en.o.off)
				if len(st.bindings) > 0 {
					b = append(b, '#')
					num(en.o.madeBy)
				}
				if en.o.append {
					b = append(b, 'a')
				}
				if en.o.guessed {
					b = append(b, 'g')
				}
				if en.o.listed != "" {
					b = append(append(append(b, '['), en.o.listed...), ']')
				}
			}
			if en.cloexec {
				b = append(b, 'x')
			}
			b = append(b, ',')
		}
		for _, fd := range slices.Sorted(maps.Keys(pr.owed)) {
			b = append(b, '~')
			num(int64(fd))
			b = append(b, '*')
			num(int64(pr.owed[fd]))
		}
	}
	return b
}

func (st *state) proc(pid string) *proc {
	p := st.procs[pid]
	if p == nil {
		// Its directory, until a call shows it: one of its own (a
		// relative name in it is no other process's, but its children's).
		p = &proc{fds: map[int]*fdEntry{}, cwd: "?" + pid}
		st.procs[pid] = p
	}
	return p
}

// lookup returns a path's inode, learning from the logged result when the
// trace has not said yet whether the path exists: a call on it that
// succeeded shows it existed before the trace (content unknown).
func (st *state) lookup(p string, loggedOK bool) (int, bool) {
	return st.find(p, loggedOK, loggedOK)
}

// find is lookup, where the logged result shows that p existed before
// the call (Model.older) only when shows is set: an O_CREAT open's
// success does not.
func (st *state) find(p string, loggedOK, shows bool) (int, bool) {
	i, ok := st.names[p]
	if !ok {
		pd := st.parent(p)
		if exists, shown := st.olderFact(p); shown {
			loggedOK = exists // the trace shows it elsewhere
		} else {
			if shows {
				st.noteOlder(p, true)
			}
			if pd != madeDir && pd != noParent && pd != notDir {
				st.fromLog("name:" + p)
			}
		}
		if !loggedOK || pd == madeDir || pd == noParent || pd == notDir {
			return 0, false // a directory the trace made holds only the names it made
		}
		i = st.newOlder(p)
		st.name(p, i) // and ownNames
		st.learned[p] = true
		return i, true
	}
	return i, i > 0
}

// olderFact tells whether p existed before the trace, when the whole
// trace shows it (Model.older) and this replay reaches p as it was then:
// the replay has not reached p, and its directories are untouched or
// the same as before the trace (olderName). shown is false otherwise.
func (st *state) olderFact(p string) (exists, shown bool) {
	if len(st.older) == 0 {
		return false, false
	}
	if _, reached := st.names[p]; reached || st.olderName(p) == "" {
		return false, false
	}
	exists, shown = st.older[p]
	return exists, shown
}

// noteOlder records, in the replay that makes Model.older, that a call
// showed whether p existed, where the replay has not reached p and p is
// as it was before the trace: the first such call says.
func (st *state) noteOlder(p string, exists bool) {
	if st.olderSeen == nil {
		return
	}
	if _, reached := st.names[p]; reached || st.olderName(p) == "" {
		return
	}
	v := int8(-1)
	if exists {
		v = 1
	}
	switch was, seen := st.olderSeen[p]; {
	case !seen && !st.olderLast:
		st.olderSeen[p] = v
	case seen && was != v:
		st.olderSeen[p] = 0
	}
}

// follow resolves the symlinks the trace made (symlink, symlinkat) in
// path p: those of its directories, and the last element's too when last
// is set (open without O_NOFOLLOW, stat, access follow it; lstat, unlink,
// rename and the like act on the link). A symlink older than the trace
// is not known to the replay, as no other file's content is; strace -y
// shows where an open led. A relative path (a directory the trace does
// not show) is resolved among the relative names. More than 40 links give
// up, as the kernel does (ELOOP), and leave the path as it is.
func (st *state) follow(p string, last bool) string {
	if !st.links {
		return p
	}
	for hops := 0; hops < 40; hops++ {
		link, rest := "", ""
		for i := 1; i <= len(p); i++ {
			if i < len(p) && p[i] != '/' {
				continue
			}
			if i == len(p) && !last {
				break
			}
			if ino := st.names[p[:i]]; ino > 0 {
				if f := st.files[ino]; f != nil && f.symlink {
					link, rest = p[:i], p[i:]
					break
				}
			}
		}
		if link == "" {
			return p
		}
		f := st.files[st.names[link]]
		target := string(f.data)
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(link), target)
		}
		p = path.Clean(target + rest)
	}
	return p
}

func (st *state) create(p string) int {
	i := st.newFile(&file{})
	st.name(p, i)
	st.touch(p)
	return i
}

// touch records that the replay made or removed the name p: its
// directory's listing is not the one from before the trace.
func (st *state) touch(p string) {
	d := path.Dir(p)
	if !strings.HasPrefix(p, "/") {
		d = "?"
	}
	if !st.touched[d] {
		st.ownNames()
		st.touched[d] = true
	}
}

// What a path's parent is, as far as the replay knows.
const (
	unknownParent = iota // not decided by the trace (or a relative path's cwd)
	madeDir              // a directory the trace made: its names are the trace's
	olderDir             // a directory older than the trace (or not known to be one)
	noParent             // absent
	notDir               // a file that is not a directory
)

// parent tells what the directory a path is in is.
func (st *state) parent(p string) int {
	d := path.Dir(p)
	if d == p || d == "." {
		return unknownParent
	}
	i, ok := st.names[d]
	switch {
	case !ok:
		switch exists, shown := st.olderFact(d); {
		case shown && exists:
			return olderDir
		case shown:
			return noParent
		}
		if pd := st.parent(d); pd == madeDir || pd == noParent || pd == notDir {
			return noParent // not in a directory the trace made, or in none
		}
		return unknownParent
	case i < 0:
		return noParent
	}
	switch f := st.files[i]; {
	case f.dir && !f.unknown:
		return madeDir
	case f.dir || f.unknown:
		return olderDir
	}
	return notDir
}

// parentFails returns the error call c, which makes p, gets from p's
// directory (ENOENT, ENOTDIR), "" when it may make p. Of a directory the
// trace has not decided, the call's logged error says.
func (st *state) parentFails(p string, c call) string {
	switch st.parent(p) {
	case noParent:
		return "ENOENT"
	case notDir:
		return "ENOTDIR"
	case unknownParent:
		st.fromLog("dir:" + path.Dir(p))
		if c.errno == "ENOENT" || c.errno == "ENOTDIR" {
			return c.errno
		}
	}
	return ""
}

// getdents returns a getdents64's output: how many entries it read and
// their bytes, "?" when the replay does not know them (a directory older
// than the trace; more than fit in the buffer, whose order is the file
// system's; names made or removed since an earlier call read them all).
func (st *state) getdents(c call) string {
	if c.failsUnmodelled() {
		return string(failed("getdents", c))
	}
	en := st.bound(c.pid, c.arg(0))
	switch {
	case en == nil:
		return "getdents -1 EBADF"
	case !st.isDir(en.o.ino, c.errno != "ENOTDIR"):
		return "getdents -1 ENOTDIR"
	case st.files[en.o.ino].unknown && en.o.off >= 0:
		return st.olderListing(en, c)
	case en.o.off < 0:
		return "getdents ?"
	}
	ino := en.o.ino
	var names []string
	d := st.last[ino]
	if st.names[d] != ino {
		return "getdents ?" // a removed directory's: the file system's
	}
	{
		for n, i := range st.names {
			if rest, ok := strings.CutPrefix(n, d+"/"); ok && i > 0 && !strings.Contains(rest, "/") {
				names = append(names, rest)
			}
		}
	}
	slices.Sort(names)
	listed := strings.Join(append([]string{".", ".."}, names...), "/")
	if en.o.off > 0 {
		if listed != en.o.listed {
			return "getdents ?" // whether a name made since shows is unspecified
		}
		return "getdents 0 entries 0"
	}
	size := 0
	for _, n := range append([]string{".", ".."}, names...) {
		size += (19 + len(n) + 1 + 7) &^ 7 // struct linux_dirent64, 8-byte aligned
	}
	if int64(size) > c.num(2) {
		en.o.off = -1
		return "getdents ?"
	}
	en.o.off, en.o.listed = 1, listed
	return fmt.Sprintf("getdents %d entries %d", len(names)+2, size)
}

// olderListing returns a getdents64's output on a directory older than
// the trace: the listing the whole trace shows of it (Model.listings),
// where the replay has made and removed no name in it and not moved it
// (state.touched: then it holds the names it held before the trace),
// and its fd's offset is at the start, or past the end after that
// listing. Unknown otherwise. The replay that makes Model.listings
// learns it here, from the logged result.
func (st *state) olderListing(en *fdEntry, c call) string {
	p := st.untouchedOlder(en.o.ino)
	if p == "" {
		return "getdents ?"
	}
	if st.listingSeen != nil && en.o.off == 0 && c.ok() && c.ret > 0 && !c.unfinished {
		l := fmt.Sprintf("getdents %d entries %d", entries(c.arg(1)), c.ret)
		switch was, seen := st.listingSeen[p]; {
		case !seen:
			st.listingSeen[p] = l
		case was != l:
			st.listingSeen[p] = ""
		}
	}
	l, ok := st.listings[p]
	switch {
	case !ok:
		return "getdents ?"
	case en.o.off > 0:
		if en.o.listed != "older" {
			return "getdents ?"
		}
		return "getdents 0 entries 0"
	}
	var n, size int64
	if _, err := fmt.Sscanf(l, "getdents %d entries %d", &n, &size); err != nil || size > c.num(2) {
		en.o.off = -1 // read in parts: where each ends is the file system's
		return "getdents ?"
	}
	en.o.off, en.o.listed = 1, "older"
	return l
}

// untouchedOlder returns the path a directory older than the trace had
// before it, where the replay reaches it there and has made and removed
// no name in it, and moved neither it nor a directory above it
// (state.touched): then it holds the names it held before the trace.
// Else "".
func (st *state) untouchedOlder(ino int) string {
	p := st.files[ino].pristine
	if p == "" || st.last[ino] != p || st.names[p] != ino || st.touched[p] || st.touched["?"] {
		return ""
	}
	for d := p; d != "/"; d = path.Dir(d) {
		if st.touched["mv:"+d] {
			return "" // it, or a directory above it, renamed
		}
	}
	return p
}

// renameFails returns the error of a rename of inode ino over to, when
// to exists ("" when it may replace it): a directory only over an empty
// one (ENOTEMPTY), and over no other file (ENOTDIR); another file over
// no directory (EISDIR). What the replay does not know of to (whether
// it exists, its type, whether a directory older than the trace holds
// names) the logged result says.
func (st *state) renameFails(ino int, to string, c call) string {
	logged := c.errno == "ENOTEMPTY" || c.errno == "EEXIST" || c.errno == "EISDIR" || c.errno == "ENOTDIR"
	from := st.files[ino]
	i, seen := st.names[to]
	if !seen && !st.children(to) {
		switch exists, shown := st.olderFact(to); {
		case shown && exists:
			i, _ = st.lookup(to, true)
		case shown:
			return "" // not there before the trace, nor made since
		case logged:
			st.fromLog("name:" + to)
			return c.errno
		default:
			if from.dir || from.unknown {
				// A directory (or a file of a type the replay does not
				// know) over a name the replay does not hold: whether a
				// directory of names was there, the history does not say
				// (its calls are those on the name itself).
				st.guess()
			}
			return ""
		}
	}
	if i < 0 || i == ino {
		return ""
	}
	if st.children(to) {
		// A directory that holds names: no file replaces it.
		switch {
		case from.dir:
			return "ENOTEMPTY"
		case !from.unknown:
			return "EISDIR"
		}
		st.fromLog("type:" + from.older)
		if c.errno == "EISDIR" {
			return c.errno
		}
		return "ENOTEMPTY"
	}
	over := st.files[i]
	if !from.dir && !from.unknown {
		// A file the trace made, over another.
		switch {
		case over.dir:
			return "EISDIR"
		case over.unknown:
			st.fromLog("type:" + over.older) // older than the trace: the log says whether a directory
			if c.errno == "EISDIR" {
				return c.errno
			}
		}
		return ""
	}
	if from.dir && !over.dir && !over.unknown {
		return "ENOTDIR"
	}
	// A directory (or a file of a type the replay does not know) over
	// one that may be a directory: whether that held names, the history
	// does not say (its calls are those on the names themselves, not
	// those on the names in it) but for the call explained; the log does.
	if logged {
		st.fromLog("full:" + to)
		return c.errno
	}
	st.guess()
	return ""
}

// guess notes that the replay's verdicts rest on a guess (Model.guessed),
// in any replay but the one that records the whole history's facts.
func (st *state) guess() {
	if st.taking == nil && st.takes != nil && st.guessed != nil {
		st.guessed.Store(true)
	}
}

// children tells whether a directory holds a name the replay knows, or
// one the whole trace shows was there before it (Model.older) that the
// replay has not reached.
func (st *state) children(dir string) bool {
	for q, exists := range st.older {
		if exists && path.Dir(q) == dir {
			if _, shown := st.olderFact(q); shown {
				return true
			}
		}
	}
	for n, i := range st.names {
		if i > 0 && len(n) > len(dir) && n[len(dir)] == '/' && strings.HasPrefix(n, dir) && !strings.Contains(n[len(dir)+1:], "/") {
			return true
		}
	}
	return false
}

// move renames a directory's names with it.
func (st *state) move(from, to string) {
	st.ownNames()
	for n, i := range st.names {
		if rest, ok := strings.CutPrefix(n, from+"/"); ok {
			delete(st.names, n)
			st.names[to+"/"+rest] = i
			st.noteAlias(to+"/"+rest, i)
			if i > 0 && st.last[i] == n {
				st.last[i] = to + "/" + rest
			}
		}
	}
}

// newFile adds a file this state owns and returns its inode.
func (st *state) newFile(f *file) int {
	i := st.next
	st.next++
	st.adopt(i, f)
	return i
}

// adopt makes f inode ino's file, owned by this state.
func (st *state) adopt(ino int, f *file) {
	st.ownFiles()
	st.files[ino] = f
	setKey(&st.own, ino, true)
}

// mutable returns inode ino's file for changing: the state's own copy.
func (st *state) mutable(ino int) *file {
	f := st.files[ino]
	if f == nil || st.own[ino] {
		return f
	}
	// A pipe's bytes are taken from the front (a reslice) and put at the
	// end (appendPipe): the copy shares them, and their room past the
	// end, which the first of them to put claims. A search replays a
	// pipe's reads and writes in every subset it tries: copying what it
	// held each time was most of a sort's read of its pipe.
	// A file's bytes are shared too, but for the shared unknown bytes
	// (slab), which the copy drops its mark of.
	data, known, shared := f.data, f.known, false
	switch {
	case f.pipe:
	case f.slab || f.shown || cap(f.data) == 0:
		data, known = slices.Clone(f.data), slices.Clone(f.known)
	default:
		if f.tail == nil {
			f.tail = &pipeTail{room: cap(f.data) - len(f.data)}
		}
		shared = true
	}
	c := &file{data: data, known: known, sharedBytes: shared, tail: f.tail, unknown: f.unknown,
		eventfd: f.eventfd, semaphore: f.semaphore, countUnknown: f.countUnknown, count: f.count, writing: f.writing, reading: f.reading, pipe: f.pipe, dir: f.dir, crossed: maps.Clone(f.crossed), raced: f.raced, ahead: f.ahead, aliased: f.aliased, mapped: f.mapped, symlink: f.symlink, flight: cloneFull(f.flight), pristine: f.pristine, older: f.older, wild: f.wild, guessedSize: f.guessedSize}
	st.adopt(ino, c)
	return c
}

// isDir tells whether inode ino is a directory; for a file older than
// the trace that no call has shown to be one or not, logged says (the
// call's logged result shows it is one: EISDIR; or may be: success).
func (st *state) isDir(ino int, logged bool) bool {
	f := st.files[ino]
	if f.dir || !f.unknown {
		return f.dir
	}
	st.fromLog("type:" + f.older)
	return logged
}

// rmdir removes an empty directory.
func (st *state) rmdir(p string, c call) provenance.Output {
	if c.failsUnmodelled() {
		return failed("rmdir", c)
	}
	if c.errno == "ENOENT" {
		st.noteOlder(p, false)
	}
	ino, ok := st.lookup(p, c.ok() || c.errno == "ENOTEMPTY" || c.errno == "ENOTDIR")
	f := st.files[ino]
	switch {
	case !ok:
		return "rmdir -1 ENOENT"
	case !st.isDir(ino, c.errno != "ENOTDIR"):
		return "rmdir -1 ENOTDIR"
	case st.children(p):
		return "rmdir -1 ENOTEMPTY"
	case f.unknown && c.errno == "ENOTEMPTY":
		// Older than the trace, with names it does not show, as the log
		// says: learned (learnedInstead), as a name is.
		st.ownNames()
		st.learned[p+"/"] = true
		st.fromLog("full:" + p)
		return "rmdir -1 ENOTEMPTY"
	}
	st.ownNames()
	st.names[p] = -1
	st.touch(p)
	return "rmdir 0"
}

// name makes p name inode ino.
func (st *state) name(p string, ino int) {
	st.ownNames()
	st.names[p] = ino
	st.last[ino] = p
	st.noteAlias(p, ino)
}

// unname makes p name nothing. When its file is aliased, whether the
// other name still names a file is not known: the log says, as of a
// name the trace has not shown.
func (st *state) unname(p string) {
	st.ownNames()
	if i := st.names[p]; i > 0 {
		if q := st.files[i].aliased; q != "" && st.names[q] > 0 {
			delete(st.names, q)
		}
	}
	st.names[p] = -1
	st.touch(p)
}

// The kinds of names that may name one file under two paths.
const (
	underUnknown = 1 << iota // relative to a directory the replay does not know ("?pid/...")
	absolute
)

// aliasKind tells which kind of name p is (0: neither), and the part of
// it that another name must end with to name the same file: all of an
// absolute one, the part after the unknown directory of the other.
func aliasKind(p string) (uint8, string) {
	switch {
	case strings.HasPrefix(p, "/"):
		return absolute, p
	case strings.HasPrefix(p, "?"):
		if _, rest, ok := strings.Cut(p, "/"); ok && rest != "" {
			return underUnknown, rest
		}
	}
	return 0, ""
}

// mayAlias tells whether names p and q may name one file: one is under a
// directory the replay does not know and the other ends with its part
// past that directory (the two unknown directories may be one, or one
// inside the other).
func mayAlias(p, q string) bool {
	kp, rp := aliasKind(p)
	kq, rq := aliasKind(q)
	ends := func(a, b string) bool { return a == b || strings.HasSuffix(a, "/"+b) }
	switch {
	case p == q || kp == 0 || kq == 0 || kp == absolute && kq == absolute:
		return false
	case kp == underUnknown && kq == underUnknown:
		dp, _, _ := strings.Cut(p, "/")
		dq, _, _ := strings.Cut(q, "/")
		return dp != dq && (ends(rp, rq) || ends(rq, rp))
	case kp == underUnknown:
		return ends(q, rp)
	}
	return ends(p, rq)
}

// noteAlias marks inode ino, which p now names, and the file of any
// other name that may name the same one (mayAlias), aliased: regular
// files whose content the trace then does not decide. It looks at the
// names only when one of a kind that may alias p's was bound with p's
// last element.
func (st *state) noteAlias(p string, ino int) {
	k, _ := aliasKind(p)
	if k == 0 || ino <= 0 {
		return
	}
	base := path.Base(p)
	want := uint8(underUnknown)
	if k == underUnknown {
		want |= absolute
	}
	st.ownNames()
	if st.bases[base]&want != 0 {
		for q, j := range st.names {
			if j == ino || path.Base(q) != base || !mayAlias(p, q) {
				continue
			}
			if j < 0 {
				// Gone under that name, but p may have made it again:
				// whether it exists is the log's to say.
				delete(st.names, q)
				continue
			}
			if f, g := st.files[ino], st.files[j]; f != nil && g != nil && !f.dir && !g.dir && !f.pipe && !g.pipe {
				st.mutable(ino).aliased, st.mutable(ino).pristine = q, ""
				st.mutable(j).aliased, st.mutable(j).pristine = p, ""
			}
		}
	}
	st.bases[base] |= k
}

// A call is a strace event read for the model.
type call struct {
	pid   string
	op    string
	args  []string // as printed (decorations kept), for flags and numbers; a read's or write's buffer only in data
	data  [][]byte // the decoded arguments
	ret   int64    // the numeric return, -1 on error
	errno string
	retFD int // fd in the return, when it is one
	// retPath is the path -y showed on a returned fd (the kernel's).
	retPath string
	// unfinished is the first half of a call that creates a process,
	// printed before the new process's calls (see formats.ReplyUnfinished).
	unfinished bool
	// inflight is the first half of a write to a pipe or a read of one:
	// the call has started; a write's bytes are printed (see
	// file.flight).
	inflight bool
}

// creates tells whether a system call creates a process or thread.
func creates(op string) bool { return op == "clone" || op == "clone3" || op == "fork" || op == "vfork" }

// takesFD tells whether a call's first argument is the fd whose file
// decides its output.
func (c call) takesFD() bool {
	switch c.op {
	case "read", "pread64", "readv", "preadv", "write", "pwrite64", "writev", "pwritev", "lseek", "close", "fstat",
		"copy_file_range", "splice", "tee", "sendfile", "sendfile64", "getdents64", "getdents":
		return true
	}
	return byFD(c)
}

// sharesFiles tells whether a clone shares its fd table (CLONE_FILES).
func (c call) sharesFiles() bool {
	for _, a := range c.args {
		if strings.Contains(a, "CLONE_FILES") {
			return true
		}
	}
	return false
}

func parseCall(e *formats.Event) call {
	c := call{pid: e.Client, op: e.Op, data: e.Args, args: make([]string, len(e.Args))}
	buf := bufferArg(e.Op)
	for i, a := range e.Args {
		if i != buf {
			c.args[i] = string(a)
		}
	}
	r := string(e.Reply)
	c.unfinished = r == formats.ReplyUnfinished && creates(e.Op)
	c.inflight = r == formats.ReplyUnfinished && !creates(e.Op)
	num, rest, _ := strings.Cut(r, " ")
	if i := strings.IndexByte(num, '<'); i >= 0 {
		num = num[:i]
	}
	if n, err := strconv.ParseInt(num, 0, 64); err == nil {
		c.ret = n
	} else {
		c.ret = -1
	}
	if c.ret < 0 {
		c.errno, _, _ = strings.Cut(rest, " ")
	}
	c.retFD = int(c.ret)
	if _, p := fdOf(num0(r)); strings.HasPrefix(p, "/") && c.ok() && !strings.Contains(r, "(deleted)") {
		c.retPath = path.Clean(p)
	}
	return c
}

func (c call) ok() bool { return c.ret >= 0 }

// bufferArg is the index of the bytes a call reads or writes among its
// arguments (read(fd, buf, count)), -1 for a call without. They are
// decoded in data; parseCall leaves them out of args, as a copy of up
// to a page's bytes for each look at the call (they are looked at many
// times) that nothing reads.
func bufferArg(op string) int {
	switch op {
	case "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2":
		return 1
	}
	return -1
}

// num0 is the first word of a return as printed, with its decoration
// ("3</a b>" is one word).
func num0(r string) string {
	if i := strings.Index(r, ">"); i >= 0 && strings.Contains(r[:i], "<") {
		return r[:i+1]
	}
	w, _, _ := strings.Cut(r, " ")
	return w
}

// fdOf reads an fd argument: "3", "3</etc/x>", "AT_FDCWD</tmp>" (-100).
// A device's fd, which strace -yy prints with its numbers
// ("0</dev/null<char 1:3>>"), is its path's.
func fdOf(a string) (int, string) {
	num, dec, _ := strings.Cut(a, "<")
	for _, kind := range []string{"<char ", "<block "} {
		if i := strings.Index(dec, kind); i > 0 {
			dec = dec[:i]
		}
	}
	dec = strings.TrimPrefix(dec, formats.GuessedPath)
	dec = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(dec, "(deleted)"), ">"), " (deleted)")
	if strings.HasPrefix(num, "AT_FDCWD") {
		return -100, dec
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return -1, dec
	}
	return n, dec
}

// resolve makes a path argument absolute against a directory fd's
// decoration; without one a relative path stays as printed.
func resolve(dirfd, p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	if _, dir := fdOf(dirfd); dir != "" {
		return path.Join(dir, p)
	}
	return p
}

// str is the decoded argument i, "" when the call has none.
func (c call) str(i int) string {
	if i < len(c.data) {
		return string(c.data[i])
	}
	return ""
}

func (c call) arg(i int) string {
	if i < len(c.args) {
		return c.args[i]
	}
	return ""
}

func (c call) num(i int) int64 {
	n, _ := strconv.ParseInt(c.arg(i), 0, 64)
	return n
}

// positioned tells whether a read or write call takes its offset as an
// argument (pread64, preadv, pwrite64, pwritev) and leaves the fd's alone.
func (c call) positioned() bool {
	return c.op == "pread64" || c.op == "preadv" || c.op == "pwrite64" || c.op == "pwritev"
}

// offset returns where a read or write call starts: its offset argument
// when positioned, else at (the fd's offset).
func (c call) offset(at int64) int64 {
	if c.positioned() {
		return c.num(3)
	}
	return at
}

// has tells whether flags, strace's FLAG|FLAG|... rendering, holds f.
func has(flags, f string) bool {
	for flags != "" {
		x, rest, _ := strings.Cut(flags, "|")
		if x == f {
			return true
		}
		flags = rest
	}
	return false
}

// Step implements provenance.Stepper: Apply without the bytes a read
// or a copy would render (the searches replay a history's reads
// thousands of times for their offsets alone).
func (m Model) Step(s provenance.State, e *formats.Event) {
	st := s.(*state)
	st.quiet = true
	m.Apply(s, e)
	st.quiet, st.got = false, nil
}

// SameOutput implements provenance.Matcher: the bytes a read or a copy
// gives are compared as they are, not rendered (a search renders a 4 KiB
// read at each of 65,536 subsets otherwise). Two outputs render alike
// exactly when they have the same count, the same bytes known and the
// same known bytes (render writes each unknown byte or run as \?, which
// no known byte renders as), so the test is Apply's.
func (m Model) SameOutput(ref provenance.State, target *formats.Event) func(provenance.State) bool {
	out := func(s provenance.State) (provenance.Output, *chunk, string, bool) {
		c := s.(*state)
		c.quiet, c.unshown, c.sizeGuessed = true, "", false
		o := m.Apply(c, target)
		c.quiet = false
		return o, c.got, c.unshown, c.sizeGuessed
	}
	wo, wc, wu, wg := out(m.Clone(ref))
	wKnown := wc == nil || allKnown(*wc)
	return func(s provenance.State) bool {
		o, c, u, g := out(s)
		same := o == wo && (c == nil) == (wc == nil) && (c == nil || sameBytes(*c, *wc))
		switch {
		case same && (g || wg) && m.doubt != nil:
			// A size the log gave, which may be another file's: the
			// kernel's may have been another (file.guessedSize).
			m.doubt.Store(true)
			return same
		case same && u != "" && u == wu:
			return true // one fact from before the trace decides both (state.unshown)
		case (undecided(o) || undecided(wo)) && m.guessed != nil:
			// Whether a name exists, which the trace does not show: it
			// may be the other output, or another than the other "?".
			m.guessed.Store(true)
			return same
		}
		if m.doubt != nil && !m.doubt.Load() && !certain(o, wo, c, wc, wKnown, same) {
			m.doubt.Store(true)
		}
		return same
	}
}

// certain tells whether SameOutput's verdict (same) on outputs o and
// wo, with the bytes c and wc (wKnown: all of wc's are known), holds
// whatever the bytes the trace does not show are. Unknown bytes are
// alike when they are one file's from before the trace at one offset
// (chunk.src); the model takes any two others to be alike too, and the
// kernel's bytes may not be. Outputs that show a size or an offset as
// "?" are the model's guesses alike.
func certain(o, wo provenance.Output, c, wc *chunk, wKnown, same bool) bool {
	switch {
	case strings.Contains(string(o), "?") || strings.Contains(string(wo), "?"):
		return !same // a size or an offset the model does not know is taken to differ from any it does
	case c == nil || wc == nil:
		return true // a call that failed, or moved no bytes, and one that did: the replay's fds decide
	case (c.src == unput) != (wc.src == unput):
		return !same // one read got bytes no write put, the other not: they differ
	case c.wild || wc.wild:
		return false
	case c.src != "" && c.src != unput && c.src == wc.src:
		return true
	case wKnown && allKnown(*c) && !c.logged && !wc.logged:
		return true
	case c.n != wc.n && !c.logged && !wc.logged:
		return !same // counts the replay knows, not the log's: the outputs differ whatever the bytes
	case c.older != "" && c.older == wc.older:
		// One file's bytes from before the trace, at another offset, or
		// against bytes the trace wrote over them: a file of zeros, a
		// rewrite of what was there.
		return knownApart(*c, *wc)
	}
	// Others' unknown bytes are taken to differ from any the trace shows
	// and from each other: the model takes two runs of them alike.
	return !same || knownApart(*c, *wc)
}

// allKnown tells whether every byte of a chunk is known.
func allKnown(c chunk) bool {
	return int64(len(c.data)) == c.n && (c.known == nil || bytes.IndexByte(boolBytes(c.known), 0) < 0)
}

// knownApart tells whether two chunks differ at a byte both know.
func knownApart(a, b chunk) bool {
	for i := range min(len(a.data), len(b.data)) {
		if a.knownAt(i) && b.knownAt(i) && a.data[i] != b.data[i] {
			return true
		}
	}
	return false
}

// sameBytes tells whether two chunks render alike: bytes past a chunk's
// data are unknown. A search asks it at each subset it tries, of reads
// of kilobytes, so the comparisons are of whole slices where they can
// be.
func sameBytes(a, b chunk) bool {
	if a.n != b.n {
		return false
	}
	m := min(len(a.data), len(b.data))
	for _, c := range []chunk{a, b} {
		if c.known == nil && len(c.data) > m || c.known != nil && bytes.IndexByte(boolBytes(c.known[m:]), 1) >= 0 {
			return false // known bytes where the other has none
		}
	}
	ka, kb := a.known, b.known
	switch {
	case ka == nil && kb == nil:
		return bytes.Equal(a.data[:m], b.data[:m])
	case ka == nil && bytes.IndexByte(boolBytes(kb[:m]), 0) >= 0, kb == nil && bytes.IndexByte(boolBytes(ka[:m]), 0) >= 0:
		return false
	case ka != nil && kb != nil && !bytes.Equal(boolBytes(ka[:m]), boolBytes(kb[:m])):
		return false
	}
	// The same bytes are known: compare them, a block at a time.
	known := ka
	if known == nil {
		known = kb
	}
	const block = 64
	for at := 0; at < m; at += block {
		end := min(at+block, m)
		if bytes.Equal(a.data[at:end], b.data[at:end]) {
			continue
		}
		for i := at; i < end; i++ {
			if known[i] && a.data[i] != b.data[i] {
				return false
			}
		}
	}
	return true
}

// boolBytes views bools as the bytes 0 and 1 they are.
func boolBytes(b []bool) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// Apply replays one strace event.
func (m Model) Apply(s provenance.State, e *formats.Event) provenance.Output {
	st := s.(*state)
	c := m.call(e)
	st.okCall = c.ok()
	st.pid, st.split, st.at = c.pid, bytes.IndexByte(e.Raw, '\n') >= 0, e.ID
	if _, known := st.procs[c.pid]; !known {
		// A process seen before the call that made it returned, by any
		// call (a creating call's or a write's first half too): the
		// process inside such a call made it.
		if parent, ok := st.creatorPending(c.pid); ok {
			st.fork(parent, c.pid, st.pending[parent])
			delete(st.pending, parent)
			setKey(&st.early, c.pid, true)
		}
	}
	switch {
	case c.inflight && st.crossEventfd(c):
		return ""
	case c.inflight && c.op == "write":
		// Not a call that ends: the uses of the pipe that cross the
		// write are counted from the process's call before it.
		st.startWrite(c, m.ends[e.ID])
		return ""
	case c.inflight:
		// A read begins: the uses of its pipe that cross it are those
		// after this (state.crossed). Its process's marks on other
		// pipes stay: its next call on them comes after the read ends.
		if en := st.boundPipe(c); en != nil {
			st.uncrossPipe(c.pid, en.o.ino)
		}
		return ""
	}
	defer st.uncross(c.pid)
	if c.unfinished {
		if child, ok := m.children[e.ID]; ok {
			// The trace shows the process the call made: made now, with
			// its creator's fds as they are inside the call (its second
			// half is Model.resumed).
			st.fork(c.pid, child, c.sharesFiles())
			return ""
		}
		setKey(&st.pending, c.pid, c.sharesFiles())
		return ""
	}
	for _, a := range c.args {
		if strings.HasPrefix(a, "AT_FDCWD<") {
			_, dir := fdOf(a)
			st.proc(c.pid).cwd = dir
		}
	}
	// rel and at name the file a call's path names, the symlinks of its
	// directories followed (the calls that follow the last element's too
	// call st.follow with last set).
	rel := func(p string) string { // a path of a call that takes no dirfd
		switch {
		case strings.HasPrefix(p, "/"):
			p = path.Clean(p)
		case m.dirs[e.ID] != "":
			p = path.Join(m.dirs[e.ID], p) // the trace's, whatever this subtrace holds
		default:
			p = path.Join(st.proc(c.pid).cwd, p)
		}
		return st.follow(p, false)
	}
	at := func(dirfd, p string) string { // a path of an *at call
		fd, dir := fdOf(dirfd)
		switch {
		case strings.HasPrefix(p, "/"):
			return st.follow(path.Clean(p), false)
		case dir != "":
			return st.follow(path.Join(dir, p), false)
		case fd == -100:
			return rel(p) // AT_FDCWD without -y
		}
		if en := st.proc(c.pid).fds[fd]; en != nil && st.files[en.o.ino].dir && st.last[en.o.ino] != "" {
			return st.follow(path.Join(st.last[en.o.ino], p), false)
		}
		return path.Join("?"+c.pid+":"+dirfd, p) // a directory the replay does not know
	}
	if ino := st.eventfdOf(c); ino >= 0 && (c.op == "read" || c.op == "write") {
		if c.op == "read" {
			return st.readEventfd(ino, c)
		}
		return st.writeEventfd(ino, c)
	}
	switch c.op {
	case "chdir":
		if c.ok() {
			st.proc(c.pid).cwd = rel(c.str(0))
		}
		return ""
	case "fchdir":
		// Into the directory an fd holds: its -y decoration, or the name
		// the replay last knew it by.
		if !c.ok() {
			return ""
		}
		fd, dir := fdOf(c.arg(0))
		if en := st.proc(c.pid).fds[fd]; en != nil {
			if dir == "" {
				dir = st.last[en.o.ino]
			}
			if f := st.files[en.o.ino]; !f.dir && !f.pipe {
				st.mutable(en.o.ino).dir = true // a successful fchdir shows it is one
			}
		}
		if dir != "" {
			st.proc(c.pid).cwd = dir
		}
		return ""
	case "mknod", "mknodat":
		// A name made for a FIFO (mkfifo), whose reads take the bytes
		// written first, as a pipe's; for a regular file, an empty one;
		// for a device or a socket, a file whose bytes are unknown.
		p, mode := rel(c.str(0)), c.arg(1)
		if c.op == "mknodat" {
			p, mode = at(c.arg(0), c.str(1)), c.arg(2)
		}
		if _, exists := st.lookup(p, false); exists || !c.ok() {
			return ""
		}
		f := st.files[st.create(p)]
		switch {
		case has(mode, "S_IFIFO"):
			f.pipe = true
		case has(mode, "S_IFCHR"), has(mode, "S_IFBLK"), has(mode, "S_IFSOCK"):
			f.unknown = true
		}
		return ""
	case "getcwd":
		if d := c.str(0); c.ok() && strings.HasPrefix(d, "/") {
			st.proc(c.pid).cwd = path.Clean(d) // as an AT_FDCWD decoration shows it
		}
		return ""
	case "open", "openat", "creat":
		var p, flags string
		switch c.op {
		case "openat":
			p, flags = at(c.arg(0), c.str(1)), c.arg(2)
		case "open":
			p, flags = rel(c.str(0)), c.arg(1)
		default:
			p, flags = rel(c.str(0)), "O_CREAT|O_WRONLY|O_TRUNC"
		}
		if !has(flags, "O_NOFOLLOW") {
			p = st.follow(p, true)
		}
		if c.retPath != "" {
			p = c.retPath // the kernel's name for it, symlinks resolved
		}
		if has(flags, "O_TMPFILE") {
			// A new file with no name, in the directory p.
			if c.retFD >= 0 {
				ino := st.newFile(&file{})
				st.ownNames()
				_, st.last[ino] = fdOf(num0(string(e.Reply))) // "/tmp/#123 (deleted)"
				st.install(c.pid, c.retFD, &fdEntry{o: &ofd{ino: ino, madeBy: st.at}, cloexec: has(flags, "O_CLOEXEC")})
			}
			if !c.ok() {
				return failed("open", c) // the directory's: not modelled
			}
			return "open 0"
		}
		if has(flags, "O_PATH") {
			// A path's fd, for *at calls and fstat: it opens nothing for
			// reading or writing, and makes or empties nothing.
			keep := []string{"O_RDONLY", "O_PATH"}
			for _, f := range []string{"O_DIRECTORY", "O_CLOEXEC"} {
				if has(flags, f) {
					keep = append(keep, f)
				}
			}
			flags = strings.Join(keep, "|")
		}
		if has(flags, "O_DIRECTORY") {
			// A directory's: it must exist and be one.
			if c.errno == "ENOENT" {
				st.noteOlder(p, false)
			}
			ino, ok := st.lookup(p, c.ok() || c.errno == "ENOTDIR")
			switch {
			case !ok:
				return "open -1 ENOENT"
			case !st.isDir(ino, c.errno != "ENOTDIR"):
				return "open -1 ENOTDIR"
			}
			if f := st.files[ino]; !f.dir {
				f = st.mutable(ino)
				f.dir = true // an open with O_DIRECTORY shows it is one
			}
			if c.retFD >= 0 {
				st.install(c.pid, c.retFD, &fdEntry{o: &ofd{ino: ino, madeBy: st.at}, cloexec: has(flags, "O_CLOEXEC")})
			}
			return "open 0"
		}
		if c.failsUnmodelled() {
			return failed("open", c) // ENXIO, EACCES, ELOOP: not modelled
		}
		// An unknown path opened with O_CREAT and O_EXCL or O_TRUNC is a
		// new (or emptied) file; otherwise a successful open shows the
		// file existed before the trace.
		infer := c.ok() && !(has(flags, "O_CREAT") && (has(flags, "O_EXCL") || has(flags, "O_TRUNC")))
		if c.errno == "ENOENT" || c.ok() && has(flags, "O_CREAT") && has(flags, "O_EXCL") {
			st.noteOlder(p, false) // not there, or its directory is not
		}
		_, known := st.names[p]
		_, shown := st.olderFact(p)
		ino, ok := st.find(p, infer, infer && !has(flags, "O_CREAT"))
		if !known && ok && has(flags, "O_CREAT") && !shown {
			st.ownNames()
			st.learned[p] = false // there before the trace, or made by this open
		}
		switch {
		case !ok && has(flags, "O_CREAT") && st.parentFails(p, c) != "":
			return provenance.Output("open -1 " + st.parentFails(p, c))
		case !ok && has(flags, "O_CREAT"):
			ino = st.create(p)
		case !ok:
			return "open -1 ENOENT"
		case has(flags, "O_CREAT") && has(flags, "O_EXCL"):
			return "open -1 EEXIST"
		case (has(flags, "O_WRONLY") || has(flags, "O_RDWR")) && st.isDir(ino, c.errno == "EISDIR"):
			return "open -1 EISDIR"
		}
		if has(flags, "O_TRUNC") && !has(flags, "O_RDONLY") && !st.files[ino].pipe {
			st.adopt(ino, &file{older: st.files[ino].older}) // a FIFO's O_TRUNC is ignored
		}
		if c.retFD >= 0 {
			st.install(c.pid, c.retFD, &fdEntry{o: &ofd{ino: ino, append: has(flags, "O_APPEND"), madeBy: st.at}, cloexec: has(flags, "O_CLOEXEC")})
		}
		return "open 0"
	case "read", "pread64", "readv", "preadv":
		en := st.bound(c.pid, c.arg(0))
		switch {
		case en == nil:
			return "read -1 EBADF"
		case c.failsUnmodelled():
			return failed("read", c)
		}
		count := c.num(2) // a vectored read's too: the parser sums its buffers
		at := ""
		if c.positioned() {
			at = c.arg(3)
		}
		bs := st.take(en, at, count, c.ret)
		if st.shownSeen != nil {
			st.learnShown(bs, c)
		}
		if st.quiet {
			st.got = &bs
			return "read"
		}
		return provenance.Output("read " + render(bs))
	case "write", "pwrite64", "writev", "pwritev":
		en := st.bound(c.pid, c.arg(0))
		switch {
		case en == nil:
			return "write -1 EBADF"
		case !c.ok():
			st.land(en)
			return failed("write", c) // ENOSPC, EPIPE: not modelled
		}
		// A vectored write's buffers, joined by the parser; past the data,
		// bytes -s cut.
		data := []byte(c.str(1))
		bs := chunk{data: data[:min(int64(len(data)), c.ret)], n: c.ret}
		at := ""
		if c.positioned() {
			at = c.arg(3)
		}
		st.put(en, at, bs)
		return provenance.Output("write " + strconv.FormatInt(c.ret, 10))
	case "eventfd", "eventfd2":
		// A counter that writes add to and reads empty.
		if c.ok() && c.retFD >= 0 {
			start, _ := strconv.ParseUint(c.arg(0), 0, 64)
			flags := ""
			if len(c.args) > 1 {
				flags = c.arg(1)
			}
			ino := st.newFile(&file{eventfd: true, semaphore: has(flags, "EFD_SEMAPHORE"), count: start})
			st.install(c.pid, c.retFD, &fdEntry{o: &ofd{ino: ino, madeBy: st.at}, cloexec: has(flags, "EFD_CLOEXEC")})
		}
		return ""
	case "pipe", "pipe2":
		// A pipe is a file whose reads take the bytes written first.
		fds := strings.Split(strings.Trim(c.arg(0), "[]"), ",")
		if c.ok() && len(fds) == 2 {
			ino := st.newFile(&file{pipe: true})
			for _, x := range fds {
				n, name := fdOf(strings.TrimSpace(x))
				if n >= 0 {
					st.install(c.pid, n, &fdEntry{o: &ofd{ino: ino, madeBy: st.at}, cloexec: has(c.arg(1), "O_CLOEXEC")})
				}
				if name != "" {
					st.name(name, ino)
				}
			}
		}
		return ""
	case "close_range":
		if c.ok() {
			first, last := c.num(0), c.num(1)
			p := st.proc(c.pid)
			for fd, en := range p.fds {
				if int64(fd) >= first && (last < 0 || uint64(fd) <= uint64(last)) {
					if has(c.arg(2), "CLOSE_RANGE_CLOEXEC") {
						en.cloexec = true
					} else {
						delete(p.fds, fd)
					}
				}
			}
		}
		return ""
	case "copy_file_range", "splice", "sendfile", "sendfile64":
		// Bytes move from one fd to another with no data in the trace.
		in, inOff, out, outOff := c.arg(0), c.arg(1), c.arg(2), c.arg(3)
		if strings.HasPrefix(c.op, "sendfile") {
			in, inOff, out, outOff = c.arg(1), c.arg(2), c.arg(0), ""
		}
		src, dst := st.bound(c.pid, in), st.bound(c.pid, out)
		switch {
		case src == nil || dst == nil:
			return "copy -1 EBADF"
		case !c.ok():
			return failed("copy", c)
		}
		// The count asked for: the trace's result bounds it (a pipe, a
		// file older than the trace, may have held more).
		bs := st.take(src, inOff, c.ret, c.ret)
		st.put(dst, outOff, bs)
		if st.quiet {
			st.got = &bs
			return "copy"
		}
		return provenance.Output("copy " + render(bs))
	case "mmap":
		if en := st.bound(c.pid, c.arg(4)); en != nil && c.ok() && sharedWritable(c) {
			if f := st.files[en.o.ino]; !f.pipe && !f.dir {
				f := st.mutable(en.o.ino)
				f.mapped, f.pristine = true, ""
			}
		}
		return ""
	case "tee":
		// Bytes of one pipe copied into another, and left where they
		// were.
		src, dst := st.bound(c.pid, c.arg(0)), st.bound(c.pid, c.arg(1))
		switch {
		case src == nil || dst == nil:
			return "copy -1 EBADF"
		case !c.ok():
			return failed("copy", c)
		}
		bs := st.peek(src, c.ret)
		st.put(dst, "", bs)
		if st.quiet {
			st.got = &bs
			return "copy"
		}
		return provenance.Output("copy " + render(bs))
	case "lseek":
		en := st.bound(c.pid, c.arg(0))
		if en == nil {
			return "lseek -1 EBADF"
		}
		out := st.seek(en, c.num(1), c.arg(2))
		if c.ok() {
			st.moved(en, out, c)
		}
		return provenance.Output(out)
	case "close":
		fd, _ := fdOf(c.arg(0))
		if p := st.proc(c.pid); st.split && p.owed[fd] > 0 {
			// This close freed the number before a call of another
			// thread took it again: the entry is a later call's (with
			// -y, whatever file the close's decoration names).
			if p.owed[fd]--; p.owed[fd] == 0 {
				delete(p.owed, fd)
			}
			return "close 0"
		}
		if st.bound(c.pid, c.arg(0)) == nil {
			return "close -1 EBADF"
		}
		delete(st.proc(c.pid).fds, fd)
		return "close 0"
	case "getdents64", "getdents":
		return provenance.Output(st.getdents(c))
	case "fstat", "newfstatat", "stat", "lstat", "statx":
		return provenance.Output(st.stat(c, rel, at))
	case "dup", "dup2", "dup3", "fcntl":
		if c.op == "fcntl" && c.arg(1) == "F_SETFD" {
			if en := st.bound(c.pid, c.arg(0)); en != nil && c.ok() {
				en.cloexec = has(c.arg(2), "FD_CLOEXEC")
			}
			return ""
		}
		if c.op == "fcntl" && c.arg(1) == "F_SETFL" {
			// The description's O_APPEND, on or off (its other flags,
			// O_NONBLOCK, change nothing the model keeps).
			if en := st.bound(c.pid, c.arg(0)); en != nil && c.ok() {
				en.o.append = has(c.arg(2), "O_APPEND")
			}
			return ""
		}
		if c.op == "fcntl" && !strings.HasPrefix(c.arg(1), "F_DUPFD") {
			return ""
		}
		en := st.bound(c.pid, c.arg(0))
		if en == nil || !c.ok() {
			return ""
		}
		cloexec := (c.op == "dup3" && has(c.arg(2), "O_CLOEXEC")) || (c.op == "fcntl" && c.arg(1) == "F_DUPFD_CLOEXEC")
		if c.op == "dup2" || c.op == "dup3" {
			st.proc(c.pid).fds[c.retFD] = &fdEntry{o: en.o, cloexec: cloexec}
		} else {
			st.install(c.pid, c.retFD, &fdEntry{o: en.o, cloexec: cloexec})
		}
		return ""
	case "fallocate":
		if en := st.bound(c.pid, c.arg(0)); en != nil && c.ok() {
			if f := st.files[en.o.ino]; !f.pipe && !f.dir {
				fallocate(st.mutable(en.o.ino), c.arg(1), c.num(2), c.num(3))
			}
		}
		return ""
	case "ftruncate", "truncate":
		var f *file
		if c.op == "ftruncate" {
			if en := st.bound(c.pid, c.arg(0)); en != nil && c.ok() {
				f = st.mutable(en.o.ino)
			}
		} else if ino, ok := st.lookup(st.follow(rel(c.str(0)), true), c.ok()); ok && c.ok() {
			f = st.mutable(ino)
		}
		if f != nil && c.ok() {
			truncate(f, c.num(1))
		}
		return ""
	case "rename", "renameat", "renameat2":
		var from, to string
		flags := ""
		if c.op == "rename" {
			from, to = rel(c.str(0)), rel(c.str(1))
		} else {
			from, to = at(c.arg(0), c.str(1)), at(c.arg(2), c.str(3))
			flags = c.arg(4)
		}
		ino, ok := st.lookup(from, c.ok())
		if !ok {
			return "rename -1 ENOENT"
		}
		if e := st.parentFails(to, c); e != "" {
			return provenance.Output("rename -1 " + e)
		}
		if has(flags, "RENAME_NOREPLACE") {
			if _, exists := st.lookup(to, false); exists {
				return "rename -1 EEXIST"
			}
		}
		if e := st.renameFails(ino, to, c); e != "" {
			return provenance.Output("rename -1 " + e)
		}
		st.unname(from)
		st.name(to, ino)
		st.touch(to)
		st.move(from, to) // a directory's names go with it
		// The paths under both name other files now (olderListing).
		for _, q := range []string{from, to} {
			st.touched["mv:"+q] = true
		}
		return "rename 0"
	case "link", "linkat":
		var from, to string
		if c.op == "link" {
			from, to = rel(c.str(0)), rel(c.str(1))
		} else {
			from, to = at(c.arg(0), c.str(1)), at(c.arg(2), c.str(3))
		}
		ino, ok := st.lookup(from, c.ok())
		if !ok {
			return "link -1 ENOENT"
		}
		if e := st.parentFails(to, c); e != "" {
			return provenance.Output("link -1 " + e)
		}
		if _, exists := st.lookup(to, false); exists {
			return "link -1 EEXIST"
		}
		st.ownNames()
		st.names[to] = ino // a second name: the file's last is still its first
		st.noteAlias(to, ino)
		st.touch(to)
		return "link 0"
	case "symlink", "symlinkat":
		// A name whose file holds the target path (lstat's size).
		to := rel(c.str(len(c.data) - 1))
		if c.op == "symlinkat" {
			to = at(c.arg(1), c.str(2))
		}
		if _, exists := st.lookup(to, false); exists || !c.ok() {
			return "symlink -1 EEXIST"
		}
		st.create(to)
		f := st.mutable(st.names[to])
		extend(f, int64(len(c.str(0))), true)
		ownBytes(f)
		copy(f.data, c.str(0))
		f.symlink, st.links = true, true
		return "symlink 0"
	case "unlink", "unlinkat":
		var p string
		if c.op == "unlink" {
			p = rel(c.str(0))
		} else {
			if has(c.arg(2), "AT_REMOVEDIR") {
				return st.rmdir(at(c.arg(0), c.str(1)), c)
			}
			p = at(c.arg(0), c.str(1))
		}
		if c.errno == "ENOENT" || c.errno == "ENOTDIR" {
			st.noteOlder(p, false)
		}
		ino, ok := st.lookup(p, c.ok() || c.errno == "EISDIR")
		switch {
		case !ok:
			return "unlink -1 ENOENT"
		case st.isDir(ino, c.errno == "EISDIR"):
			return "unlink -1 EISDIR"
		}
		st.unname(p)
		return "unlink 0"
	case "rmdir":
		return st.rmdir(rel(c.str(0)), c)
	case "mkdir", "mkdirat":
		if c.failsUnmodelled() {
			return failed("mkdir", c)
		}
		p := rel(c.str(0))
		if c.op == "mkdirat" {
			p = at(c.arg(0), c.str(1))
		}
		i, seen := st.names[p]
		pd := st.parent(p)
		exists, shown := st.olderFact(p)
		if !seen && !shown && (c.ok() || c.errno == "ENOENT" || c.errno == "ENOTDIR") {
			st.noteOlder(p, false) // made, or its directory is not there
		}
		switch {
		case i > 0:
			return "mkdir -1 EEXIST"
		case !seen && (pd == unknownParent || pd == olderDir) && (shown && exists || !shown && c.errno == "EEXIST"):
			st.lookup(p, true) // there before the trace, as the trace shows
			return "mkdir -1 EEXIST"
		case st.parentFails(p, c) != "":
			return provenance.Output("mkdir -1 " + st.parentFails(p, c))
		}
		st.files[st.create(p)].dir = true
		return "mkdir 0"
	case "access", "faccessat", "faccessat2":
		// A name's existence; permissions (EACCES) are not modelled.
		if c.failsUnmodelled() {
			return failed("access", c)
		}
		p := rel(c.str(0))
		if c.op != "access" {
			p = at(c.arg(0), c.str(1))
		}
		if !has(c.arg(3), "AT_SYMLINK_NOFOLLOW") {
			p = st.follow(p, true)
		}
		switch i, seen := st.names[p]; {
		case i > 0:
			return "access 0"
		case i < 0 || !seen && st.parent(p) != unknownParent && st.parent(p) != olderDir:
			return "access -1 ENOENT"
		}
		if exists, shown := st.olderFact(p); shown && exists {
			return "access 0"
		} else if shown {
			return "access -1 ENOENT"
		}
		if c.ok() || c.errno == "ENOENT" || c.errno == "ENOTDIR" {
			// Only the target's reaches Model.older: recordOlder skips
			// the calls that only ask, which no history holds, and the
			// target's own result only cancels a fact (olderLast).
			st.noteOlder(p, c.ok())
		}
		st.unshown = st.olderName(p)
		return "access ?" // not decided by the trace: an access changes nothing, and learns nothing
	case "clone", "clone3", "fork", "vfork":
		if m.resumed[e.ID] {
			return "" // its first half made the process
		}
		delete(st.pending, c.pid)
		if !c.ok() {
			return ""
		}
		child := strconv.FormatInt(c.ret, 10)
		if !st.early[child] {
			st.fork(c.pid, child, c.sharesFiles())
		}
		delete(st.early, child)
		return ""
	case "execve":
		if c.ok() {
			p := st.proc(c.pid)
			for fd, en := range p.fds {
				if en.cloexec {
					delete(p.fds, fd)
				}
			}
		}
		return ""
	case "EXIT", "KILLED", "exit_group":
		delete(st.procs, c.pid)
		return ""
	}
	return ""
}

// failsUnmodelled tells whether a call failed for a reason the model
// does not keep (for a read, a write or a copy, anything but EBADF): its
// output is taken from the trace (see failed), and it is not explained.
func (c call) failsUnmodelled() bool {
	if c.ok() {
		return false
	}
	switch c.op {
	case "write", "pwrite64", "writev", "pwritev", "copy_file_range", "splice", "tee", "sendfile", "sendfile64",
		"read", "pread64", "readv", "preadv":
		// A read's EAGAIN (an empty pipe or socket with O_NONBLOCK,
		// whose writers the model does not count), EINTR, EISDIR: it
		// takes nothing. An eventfd's EAGAIN (-y names it) is its
		// counter's 0.
		if _, name := fdOf(c.arg(0)); c.errno == "EAGAIN" && name == eventfdName && strings.HasPrefix(c.op, "read") {
			return false
		}
		return c.errno != "EBADF"
	case "mkdir", "mkdirat":
		return c.errno != "EEXIST" && c.errno != "ENOENT" && c.errno != "ENOTDIR"
	case "open", "openat", "creat":
		return c.errno != "ENOENT" && c.errno != "EEXIST" && c.errno != "EISDIR" && c.errno != "ENOTDIR"
	case "rmdir":
		return c.errno != "ENOENT" && c.errno != "ENOTDIR" && c.errno != "ENOTEMPTY"
	case "unlinkat":
		return has(c.arg(2), "AT_REMOVEDIR") && c.errno != "ENOENT" && c.errno != "ENOTDIR" && c.errno != "ENOTEMPTY"
	case "access", "faccessat", "faccessat2":
		return c.errno != "ENOENT" // EACCES, ENOTDIR: permissions and types are not modelled
	case "getdents64", "getdents":
		return c.errno != "EBADF" && c.errno != "ENOTDIR"
	}
	return false
}

// failed is the output of a call the trace shows failing for a reason
// the model does not keep (ENOSPC, EPIPE): the errno as printed.
func failed(what string, c call) provenance.Output {
	return provenance.Output(what + " -1 " + c.errno)
}

// moved sets the offset of a successful lseek (c), whose output in the
// replay is out: the offset the replay computed, when it knows it and
// the fd's open file description is one a call of the replay made, or
// the offset is absolute (another subtrace than the whole trace may
// move it elsewhere than the log shows); else the log's, which is a guess unless the call reached
// the same file older than the trace as in the whole trace's replay
// (trusted).
func (st *state) moved(en *fdEntry, out string, c call) {
	// A directory's position is a cookie of its file system's: past a
	// listing, or at its start, it is known only where no seek moved it.
	en.o.listed = ""
	if at, err := strconv.ParseInt(strings.TrimPrefix(out, "lseek "), 10, 64); err == nil && at >= 0 && (!en.o.inherited || c.arg(2) == "SEEK_SET") {
		en.o.off = at
		en.o.guessed = en.o.guessed && c.arg(2) == "SEEK_CUR"
		return
	}
	key := "" // SEEK_END, SEEK_DATA, SEEK_HOLE: the file's bytes decide
	if f := st.files[en.o.ino]; out == "lseek ?" && f.pristine != "" && c.arg(2) != "SEEK_CUR" {
		key = f.pristine + "@" + c.arg(2)
	}
	en.o.off = c.ret
	en.o.guessed = !st.trusted(key)
}

// seek returns an lseek's output: the offset it moves the fd to, "?"
// when that depends on bytes or an offset the trace does not know.
func (st *state) seek(en *fdEntry, delta int64, whence string) string {
	f := st.files[en.o.ino]
	var at int64
	switch whence {
	case "SEEK_SET":
		at = delta
	case "SEEK_CUR":
		if en.o.off < 0 {
			return "lseek ?"
		}
		at = en.o.off + delta
	case "SEEK_END":
		if f.unknown || f.aliased != "" {
			return "lseek ?"
		}
		st.sizeGuessed = st.sizeGuessed || f.guessedSize
		at = int64(len(f.data)) + delta
	default: // SEEK_DATA, SEEK_HOLE
		return "lseek ?"
	}
	if f.pipe {
		return "lseek -1 ESPIPE"
	}
	if at < 0 {
		return "lseek -1 EINVAL"
	}
	return "lseek " + strconv.FormatInt(at, 10)
}

// stat returns the output of a stat call: the file's size ("?" for a
// file older than the trace whose size the trace has not shown), or
// ENOENT. A size the trace shows of such a file is learned: its bytes
// past it do not exist.
func (st *state) stat(c call, rel func(string) string, at func(dirfd, p string) string) string {
	var ino int
	switch {
	case byFD(c):
		en := st.bound(c.pid, c.arg(0))
		if en == nil {
			return "stat -1 EBADF"
		}
		ino = en.o.ino
	default:
		// By name: a name the trace has not decided is not learned from
		// (a stat changes nothing), its output is unknown.
		var p string
		switch c.op {
		case "stat", "lstat":
			p = rel(c.str(0))
		default:
			p = at(c.arg(0), c.str(1))
		}
		flags := c.arg(3) // newfstatat's; statx's come before its mask
		if c.op == "statx" {
			flags = c.arg(2)
		}
		if c.op == "stat" || c.op != "lstat" && !has(flags, "AT_SYMLINK_NOFOLLOW") {
			p = st.follow(p, true)
		}
		i, seen := st.names[p]
		if exists, shown := st.olderFact(p); shown && !exists {
			return "stat -1 ENOENT"
		} else if shown {
			i, _ = st.lookup(p, true) // there before the trace, as the trace shows elsewhere
			seen = true
		}
		switch {
		case !seen && (st.parent(p) == unknownParent || st.parent(p) == olderDir):
			if c.ok() || c.errno == "ENOENT" || c.errno == "ENOTDIR" {
				st.noteOlder(p, c.ok()) // the target's only, as an access's
			}
			st.unshown = st.olderName(p)
			if st.touched[p] || statType(c) == "S_IFDIR" && st.touched["?"] {
				// A directory the replay made or removed names in: its
				// size may be another than before the trace.
				st.unshown = ""
			}
			return "stat ?"
		case !seen:
			return "stat -1 ENOENT"
		case i < 0:
			return "stat -1 ENOENT"
		}
		ino = i
	}
	f := st.files[ino]
	if f.pipe {
		return "stat pipe"
	}
	if f.unknown && !f.dir && c.ok() && byFD(c) && statType(c) == "S_IFDIR" {
		f = st.mutable(ino)
		f.dir = true // older than the trace, with names it does not show
	}
	if f.dir || f.aliased != "" {
		if p := st.untouchedOlder(ino); p != "" && f.dir && f.aliased == "" {
			// Its size is the file system's, as it was before the trace.
			st.unshown = "size:" + p
		}
		return "stat size=?" // a directory's size is the file system's; an aliased file's, unknown
	}
	if f.unknown && c.ok() && byFD(c) && statType(c) == "S_IFREG" && !pseudo(st.last[ino]) {
		// A size of 0 is learned only of a file whose name the replay
		// knows: /proc's files say 0 and hold bytes, and a file the
		// trace shows no name of may be one of them. A server's log
		// opened to append (fopen "a" fstats it) is empty when new.
		named := strings.HasPrefix(st.last[ino], "/")
		if size, ok := statSize(c); ok && (size > 0 || named) && size >= int64(len(f.data)) && size <= maxLearnedSize {
			if st.sizeSeen != nil && f.pristine != "" {
				// The first stat of it in the whole trace's replay, while
				// no call changed it, shows its size before the trace.
				switch was, seen := st.sizeSeen[f.pristine]; {
				case !seen:
					st.sizeSeen[f.pristine] = size
				case was != size:
					st.sizeSeen[f.pristine] = -1
				}
			}
			f = st.mutable(ino)
			if !st.trusted(f.pristine) {
				f.pristine = "" // a size the log gave of another file, maybe
				f.guessedSize = true
			}
			if len(f.data) == 0 {
				// All unknown (a library read through mmap): shared, so a
				// replay does not make megabytes of them; a change copies
				// it first (mutable).
				f.data, f.known, f.shown = st.olderBytes(f.pristine, size)
				f.slab = !f.shown
				delete(st.own, ino)
			} else {
				extend(f, size, false)
			}
			f.unknown = false
		}
	}
	if f.unknown {
		if f.pristine != "" && len(f.data) == 0 && (statType(c) != "S_IFDIR" || st.untouchedOlder(ino) != "") {
			// Nothing the replay did reached its size: a file's bytes, a
			// directory's names.
			st.unshown = "size:" + f.pristine
		}
		return "stat size=?"
	}
	st.sizeGuessed = st.sizeGuessed || f.guessedSize
	return "stat size=" + strconv.Itoa(len(f.data))
}

// onlyAsks tells whether a call only asks whether a name exists, or
// its size: an access, a stat by name. It changes nothing, so it is in
// no other call's history (spec.Refs).
func onlyAsks(c call) bool {
	switch c.op {
	case "access", "faccessat", "faccessat2":
		return true
	case "newfstatat", "statx", "stat", "lstat":
		return !byFD(c)
	}
	return false
}

// undecided tells whether an output is whether a name exists, which
// the replay does not know (an access's, a stat's by name). A size it
// does not know is a file's content, which the model takes to differ
// from any the trace shows, as the bytes of a file older than the trace.
func undecided(o provenance.Output) bool {
	return o == "access ?" || o == "stat ?"
}

// olderName returns p when whether it exists is decided by the state
// before the trace alone, as the replay has it: p is absolute, and each
// of its directories is one the replay has not reached by name, or
// reached as the directory of that name from before the trace
// (file.pristine: not one renamed there, not one made, not one
// removed). Else "". p itself is one the replay has not reached (the
// caller's test).
func (st *state) olderName(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "" // relative to a directory the replay does not know
	}
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		i, ok := st.names[d]
		switch {
		case !ok:
		case i <= 0, st.files[i].pristine != d:
			return ""
		}
	}
	return p
}

// byFD tells whether a stat call names its file by an fd (fstat,
// AT_EMPTY_PATH).
func byFD(c call) bool {
	switch c.op {
	case "fstat":
		return true
	case "newfstatat":
		return len(c.data) > 1 && c.str(1) == "" && strings.Contains(c.arg(len(c.args)-1), "AT_EMPTY_PATH")
	case "statx":
		return strings.Contains(c.arg(2), "AT_EMPTY_PATH")
	}
	return false
}

// pseudo tells whether a path is in a file system whose stat sizes are
// not the bytes a read returns (/proc, /sys, /dev).
func pseudo(p string) bool {
	return strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/sys/") || strings.HasPrefix(p, "/dev/")
}

// statType reads the file type (S_IFREG, S_IFDIR, ...) from a stat
// struct strace printed, "" when it shows none.
func statType(c call) string {
	t, _, _ := strings.Cut(statField(c, "st_mode=", "stx_mode="), "|")
	return t
}

// statSize reads st_size (statx: stx_size) from a stat struct strace
// printed.
func statSize(c call) (int64, bool) {
	v := statField(c, "st_size=", "stx_size=")
	n, err := strconv.ParseInt(v[:len(v)-len(strings.TrimLeft(v, "0123456789"))], 10, 64)
	return n, err == nil
}

// statField returns what follows the first of names (stat's, then
// statx's) in a call's printed arguments, "" when none is there.
func statField(c call, names ...string) string {
	for _, a := range c.args {
		for _, name := range names {
			if i := strings.Index(a, name); i >= 0 {
				return a[i+len(name):]
			}
		}
	}
	return ""
}

// bound returns the fd a call's argument names, or nil when the process
// has no such fd. An fd strace decorated (-y) is open on the file it
// names, whatever the model thinks: when the model has it bound to
// another file, or not at all (the process opened it before the trace),
// it is bound anew to that file with an unknown offset. So which file a
// number reaches is the trace's, not decided by the calls that chose the
// number, and a socket's or a device's fd is a pipe of unknown content.
// But where the whole trace shows the fd bound by a call of its own
// (Model.bindings), a subtrace without that call has no such fd.
func (st *state) bound(pid, a string) *fdEntry {
	fd, name := fdOf(a)
	p := st.proc(pid)
	en := p.fds[fd]
	if name == "" || fd < 0 || strings.Contains(a, "<"+formats.GuessedPath) {
		// No path, or one ingest guessed (see formats.GuessedPath).
		if en == nil && fd >= 0 && st.okCall {
			// An fd no call of the replay opened, which the call used
			// with success: open before the trace (a shell's stdout), on
			// a file the trace does not show, at an unknown offset.
			en = &fdEntry{o: &ofd{ino: st.newFile(&file{unknown: true}), off: -1, inherited: true}}
			p.fds[fd] = en
		}
		return en
	}
	deleted := strings.Contains(a, "(deleted)")
	isPath := strings.HasPrefix(name, "/")
	if en != nil {
		switch ino := en.o.ino; {
		// A deleted file's, a path's or a pipe's, a socket's or a
		// device's, one eventfd2 made.
		case deleted && !st.named(ino) && st.last[ino] == name,
			!deleted && (isPath || strings.HasPrefix(name, "pipe:")) && st.names[name] == ino && ino > 0,
			!deleted && !isPath && !strings.HasPrefix(name, "pipe:") && st.files[ino].unknown && st.last[ino] == name,
			name == eventfdName && st.files[ino].eventfd:
			if st.bindingSeen != nil && !en.o.inherited {
				st.bindingSeen[fdUse{st.at, fd}] = en.o.madeBy
			}
			if by, ok := st.bindings[fdUse{st.at, fd}]; ok && en.o.madeBy != by {
				return nil // another call's description (Model.bindings)
			}
			return en
		}
	}
	if _, ok := st.bindings[fdUse{st.at, fd}]; ok {
		return nil // the call that bound it, in the whole trace, is not in this one (Model.bindings)
	}
	var ino int
	switch i := st.names[name]; {
	case deleted:
		ino = st.newFile(&file{unknown: true})
		st.ownNames()
		st.last[ino] = name // no name reaches it
	case i > 0 && (isPath || strings.HasPrefix(name, "pipe:")):
		ino = i
	case isPath:
		ino = st.newOlder(name)
		st.name(name, ino)      // and ownNames
		st.learned[name] = true // as an open's logged success would (lookup)
	default: // a pipe, a socket, a device
		ino = st.newFile(&file{unknown: true, pipe: true})
		st.name(name, ino)
	}
	en = &fdEntry{o: &ofd{ino: ino, off: -1, inherited: true}}
	p.fds[fd] = en
	return en
}

// named tells whether some path names an inode.
func (st *state) named(ino int) bool {
	for _, i := range st.names {
		if i == ino {
			return true
		}
	}
	return false
}

// take reads up to count bytes through an fd, at an offset argument
// ("[N]", "N") when at is one, else at the fd's offset, which it moves;
// from a pipe, the first bytes written, which it removes. logged is the
// count the trace shows: a file older than the trace has at least that
// many bytes there, whose values the trace does not know.
func (st *state) take(en *fdEntry, at string, count, logged int64) chunk {
	f := st.files[en.o.ino]
	if f.pipe && f.unknown {
		return chunk{n: max(logged, 0), logged: true} // a pipe older than the trace
	}
	if f.pipe {
		f = st.cross(en.o.ino, crossedRead)
		if f.unknown {
			return chunk{n: max(logged, 0), logged: true}
		}
		f.settle(st.at)
		if logged > int64(len(f.data)) && logged <= count {
			out, ok, unordered := f.takeFlight(logged, st.at)
			if ok {
				return out
			}
			// It took bytes no write the replay has put yet: a write
			// strace split, whose bytes went in before this read took
			// them. Those bytes are unknown here; the write, when it
			// resumes, puts only the rest (put). When another process
			// wrote since such a write began, its bytes may have gone in
			// before those the pipe holds: none is known.
			out = chunk{data: f.data, known: f.known, n: logged, src: unput}
			if unordered {
				out = chunk{n: logged, logged: true}
			}
			f.ahead += logged - int64(len(f.data))
			f.data, f.known, f.raced = nil, nil, true
			return out
		}
		n := min(int(count), len(f.data))
		if logged >= 0 {
			n = min(n, int(logged))
		}
		out := chunk{data: f.data[:n], known: f.known[:n], n: int64(n)}
		if _, _, _, unordered := f.inFlight(st.at); unordered && n > 0 {
			out, f.raced = chunk{n: int64(n)}, true
		}
		f.data, f.known = f.data[n:], f.known[n:]
		return out
	}
	off, explicit := offsetAt(at)
	if !explicit {
		off = en.o.off
	}
	if off < 0 {
		// An offset the trace does not decide: the bytes are unknown.
		return chunk{n: max(logged, 0), older: f.older, logged: true}
	}
	if f.aliased != "" || f.mapped {
		// Another name or a mapping may have changed it: as many bytes
		// as the log says, unknown.
		out := chunk{n: max(logged, 0), older: f.older, logged: true}
		if !explicit {
			en.o.off += out.n
			en.o.guessed = en.o.guessed || !st.trusted("")
		}
		return out
	}
	out := readAt(f, off, count, logged)
	out.older, out.wild = f.older, f.wild
	out.logged = out.logged || f.guessedSize // its count is the guessed size's
	if f.pristine != "" && (explicit || !en.o.guessed) {
		out.src = f.pristine + "@" + strconv.FormatInt(off, 10)
	}
	if !explicit {
		en.o.off += out.n
		if f.unknown {
			// The count is the log's (readAt): the kernel's only where
			// the call reads what it read in the whole trace's replay.
			en.o.guessed = en.o.guessed || !st.trusted(out.src)
		}
	}
	return out
}

// eventfdName is the name strace's -y shows for an eventfd's fd: every
// eventfd's, so an fd is bound to one only by the eventfd2 that made it.
const eventfdName = "anon_inode:[eventfd]"

// eventfdOf returns the inode of the eventfd that a call's first
// argument (with -y's name for it, or none) is bound to in the replay,
// or -1. Unlike bound, it makes nothing.
func (st *state) eventfdOf(c call) int {
	fd, name := fdOf(c.arg(0))
	p := st.procs[c.pid]
	if name != "" && name != eventfdName || p == nil || p.fds[fd] == nil {
		return -1
	}
	if ino := p.fds[fd].o.ino; st.files[ino] != nil && st.files[ino].eventfd {
		return ino
	}
	return -1
}

// crossEventfd replays the first half of a read or write of an eventfd
// (c.inflight), and reports whether it was one: the read or write is in
// flight until its second half (file.writing, file.reading).
func (st *state) crossEventfd(c call) bool {
	ino := st.eventfdOf(c)
	if ino < 0 {
		return false
	}
	f := st.mutable(ino)
	if c.op == "write" {
		f.writing++
	} else {
		f.reading++
	}
	return true
}

// readEventfd replays a read of an eventfd: 8 bytes, the counter (1 for
// a semaphore), which the read empties (or takes 1 from); EAGAIN when it
// is 0, as for the O_NONBLOCK eventfds event loops use (a blocking read
// would wait for a write, which strace shows crossing it). With a write
// in flight, its bytes are unknown, and so is the counter after it.
func (st *state) readEventfd(ino int, c call) provenance.Output {
	f := st.mutable(ino)
	if st.split {
		f.reading = max(f.reading-1, 0) // its first half's
	}
	switch {
	case c.num(2) < 8:
		return "read -1 EINVAL"
	case f.writing > 0:
		f.countUnknown = true
		return provenance.Output("read " + render(chunk{n: 8}))
	case f.countUnknown && f.semaphore:
		return provenance.Output("read " + render(chunk{n: 8})) // and still unknown
	case f.countUnknown:
		f.countUnknown, f.count = false, 0
		return provenance.Output("read " + render(chunk{n: 8}))
	case f.count == 0:
		return "read -1 EAGAIN"
	}
	v := f.count
	if f.semaphore {
		v = 1
	}
	f.count -= v
	return provenance.Output("read " + render(chunk{data: binary.LittleEndian.AppendUint64(nil, v), n: 8}))
}

// writeEventfd replays a write of an eventfd: it adds the 8 bytes'
// value to the counter. One that failed (a counter that would pass its
// maximum, EAGAIN) is not modelled. With a read in flight, the counter
// is unknown after it.
func (st *state) writeEventfd(ino int, c call) provenance.Output {
	f := st.mutable(ino)
	if st.split {
		f.writing = max(f.writing-1, 0) // its first half's
	}
	data := []byte(c.str(1))
	switch {
	case !c.ok():
		return failed("write", c)
	case c.num(2) < 8:
		return "write -1 EINVAL"
	case f.reading > 0 || len(data) < 8: // a read in flight, or bytes -s cut
		f.countUnknown = true
	default:
		f.count += binary.LittleEndian.Uint64(data[:8])
	}
	return "write 8"
}

// startWrite replays the first half of a write to a pipe (c.inflight):
// its bytes are in flight (file.flight) until it resumes.
//
// It changes nothing else: a pipe the replay has not bound to that fd
// (a subtrace without the pipe call) gets no flight, as bound would
// make the process, its fd or the pipe.
func (st *state) startWrite(c call, until int64) {
	en := st.boundPipe(c)
	if en == nil {
		return
	}
	count, err := strconv.ParseInt(c.arg(2), 0, 64)
	if err != nil || count < 0 {
		return
	}
	data := []byte(c.str(1))
	f := st.mutable(en.o.ino)
	f.settle(st.at)
	setKey(&f.flight, c.pid, flight{rest: chunk{data: data[:min(int64(len(data)), count)], n: count}, until: until})
}

// boundPipe returns the fd entry of a call's first argument when the
// replay has bound it to the pipe -y shows, and the pipe's content is
// known; else nil. Unlike bound, it makes nothing.
func (st *state) boundPipe(c call) *fdEntry {
	fd, name := fdOf(c.arg(0))
	p := st.procs[c.pid]
	if p == nil || p.fds[fd] == nil {
		return nil
	}
	en := p.fds[fd]
	if f := st.files[en.o.ino]; f == nil || !f.pipe || f.unknown || st.names[name] != en.o.ino {
		return nil
	}
	return en
}

// land ends the flight of the current process's write on en's pipe,
// which failed: what reads took of it was taken ahead, as if no first
// half had been replayed (see settle).
func (st *state) land(en *fdEntry) {
	if f := st.files[en.o.ino]; f == nil || f.flight == nil {
		return
	}
	f := st.mutable(en.o.ino)
	if w, ok := f.flight[st.pid]; ok {
		f.ahead += w.taken
		delete(f.flight, st.pid)
	}
}

// settle ends the flights of a pipe (a mutable file) whose writes resumed
// before event at, in a subtrace without their second halves: what reads
// took of each counts as taken ahead of any write (take's ahead), as it
// would have with no first half replayed. A write's first half changes
// what reads take until the write resumes, and nothing after: the search
// leaves such halves out (flightEnds).
func (f *file) settle(at int64) {
	for p, w := range f.flight {
		if w.until != 0 && w.until < at {
			f.ahead += w.taken
			delete(f.flight, p)
		}
	}
}

// takeFlight reads logged bytes of a pipe that holds fewer: the bytes it
// holds, then the first of the one write in flight, when that write's
// bytes come after every byte the pipe holds (no other process wrote
// since the call of its process before it: st.cross marked none) and it
// has enough not taken. With two in flight, the trace does not say whose
// bytes came first; with one crossed by another's write (unordered), not
// even whether its bytes came before those the pipe holds.
func (f *file) takeFlight(logged, at int64) (out chunk, ok, unordered bool) {
	pid, w, two, unordered := f.inFlight(at)
	need := logged - int64(len(f.data))
	if pid == "" || two || unordered || f.ahead > 0 || w.rest.n < need {
		return chunk{}, false, unordered
	}
	out = chunk{data: append(slices.Clone(f.data), make([]byte, need)...), known: make([]bool, logged), n: logged}
	copy(out.known, f.known)
	for i := range int(need) {
		if w.rest.knownAt(i) {
			out.data[len(f.data)+i], out.known[len(f.data)+i] = w.rest.data[i], true
		}
	}
	f.flight[pid] = flight{rest: w.rest.from(need), taken: w.taken + need, until: w.until}
	f.data, f.known = nil, nil
	return out, true, false
}

// inFlight returns a pipe's write in flight at event at (pid "" when
// none), whether another is too, and whether another process wrote since
// the call before one of them (unordered): that write's bytes, put while
// one in flight may have gone in already, may be behind those.
func (f *file) inFlight(at int64) (pid string, w flight, two, unordered bool) {
	for p, v := range f.flight {
		if v.live(at) {
			unordered = unordered || f.crossed[p]&crossedWrite != 0
			two = two || pid != ""
			pid, w = p, v
		}
	}
	return pid, w, two, unordered
}

// sharedWritable tells whether an mmap call maps a file shared and
// writable: its writes reach the file with no call in the trace.
func sharedWritable(c call) bool {
	shared := has(c.arg(3), "MAP_SHARED") || has(c.arg(3), "MAP_SHARED_VALIDATE")
	return c.op == "mmap" && has(c.arg(2), "PROT_WRITE") && shared && !has(c.arg(3), "MAP_ANONYMOUS")
}

// peek returns the first n bytes (at most) a pipe holds without taking
// them, as tee copies them; the bytes of what is not a pipe or a pipe
// older than the trace are unknown.
func (st *state) peek(en *fdEntry, n int64) chunk {
	if f := st.files[en.o.ino]; !f.pipe || f.unknown {
		return chunk{n: max(n, 0)}
	}
	f := st.cross(en.o.ino, crossedRead)
	if f.unknown {
		return chunk{n: max(n, 0)}
	}
	k := min(int(n), len(f.data))
	return chunk{data: slices.Clone(f.data[:k]), known: slices.Clone(f.known[:k]), n: int64(k)}
}

// put writes bytes through an fd: at an offset argument when at is one,
// at the end with O_APPEND, else at the fd's offset, which it moves; to a
// pipe, after the bytes it holds.
func (st *state) put(en *fdEntry, at string, bs chunk) {
	f := st.mutable(en.o.ino)
	f.pristine = "" // written, or bytes copied in
	if en.o.guessed && at == "" {
		f.wild = true
	}
	if f.pipe && f.unknown {
		return
	}
	if f.pipe {
		crossedBy := f.crossed[st.pid]
		if f = st.cross(en.o.ino, crossedWrite); f.unknown {
			return
		}
		f.settle(st.at)
		if w, ok := f.flight[st.pid]; ok {
			// Its first half, in flight: what reads took of it is
			// taken, and it puts the rest.
			delete(f.flight, st.pid)
			bs = bs.from(w.taken)
		}
		if f.ahead > 0 {
			if !st.split || crossedBy&crossedRead == 0 {
				// Reads took bytes of another write in flight, whose
				// place among this one's the trace does not say.
				f.data, f.known, f.unknown, f.raced, f.ahead = nil, nil, true, true, 0
				return
			}
			// The write in flight the reads crossing it took from.
			n := min(f.ahead, bs.n)
			f.ahead -= n
			bs = bs.from(n)
		}
		appendPipe(f, bs) // after the bytes it holds
		return
	}
	off, explicit := offsetAt(at)
	switch {
	case explicit:
	case en.o.append && f.unknown:
		// The end of a file older than the trace is unknown: the bytes
		// go past the known ones, where, the trace does not say.
		en.o.off = -1
		return
	case en.o.append:
		off = int64(len(f.data))
	default:
		off = en.o.off
	}
	if off < 0 {
		// Written where the trace does not say: any byte may be these.
		ownBytes(f)
		for i := range f.known {
			f.known[i] = false
		}
		f.unknown = true
		return
	}
	writeAt(f, off, bs)
	if !explicit {
		en.o.off = off + bs.n
	}
}

// The uses of a pipe by other processes that file.crossed records.
const (
	crossedRead uint8 = 1 << iota
	crossedWrite
)

// cross records a use (crossedRead or crossedWrite) of pipe ino by the
// call being replayed, and returns the pipe to change. When strace split
// the call, the other processes' uses of the pipe since the call's
// process last made one came while it was in flight, perhaps before it
// took effect, perhaps after: the trace does not say. A read takes the
// first bytes the pipe holds, so writes crossing it change nothing of
// what it takes (the logged count bounds it), but another read crossing
// it may have taken those bytes; a write's bytes may have gone before
// or after those another write put, and before or after another read
// took its bytes. In those cases which bytes each took or where each put
// them is unknown, and from then on what the pipe holds (as a pipe
// older than the trace). Reads crossing a write do not make it so: they
// take the bytes written before it first, and a read that took some of
// its bytes finds too few in the replay (take says so).
func (st *state) cross(ino int, use uint8) *file {
	f := st.mutable(ino)
	seen := f.crossed[st.pid]
	if st.split && seen&use != 0 { // a read crossed by another read, a write by another write
		f.data, f.known, f.unknown, f.raced = nil, nil, true, true
	}
	for p := range st.procs {
		if p != st.pid {
			if f.crossed == nil {
				f.crossed = map[string]uint8{}
			}
			f.crossed[p] |= use
			setKey(&st.crossing, ino, true)
		}
	}
	return f
}

// uncross ends pid's call: no other process's use of a pipe has come
// since it.
func (st *state) uncross(pid string) {
	for ino := range st.crossing {
		st.uncrossPipe(pid, ino)
	}
}

// uncrossPipe ends pid's marks on one pipe.
func (st *state) uncrossPipe(pid string, ino int) {
	if f := st.files[ino]; f != nil && f.crossed[pid] != 0 {
		f = st.mutable(ino)
		delete(f.crossed, pid)
		if len(f.crossed) == 0 {
			delete(st.crossing, ino)
		}
	}
}

// offsetAt reads an offset argument: "[N]" (a pointer strace showed),
// "[N => M]", or N. "NULL" and "" are none.
func offsetAt(a string) (int64, bool) {
	a = strings.TrimSpace(a)
	if a == "" || a == "NULL" {
		return 0, false
	}
	a = strings.TrimPrefix(a, "[")
	a, _, _ = strings.Cut(a, " ")
	n, err := strconv.ParseInt(strings.TrimSuffix(a, "]"), 0, 64)
	return n, err == nil
}

// fork makes child a process with parent's fds: the same table when
// shared (CLONE_FILES), else a copy sharing the open file descriptions.
func (st *state) fork(parent, child string, shared bool) {
	p := st.proc(parent)
	if shared {
		st.procs[child] = &proc{fds: p.fds, owed: p.owed, cwd: p.cwd}
		return
	}
	t := make(map[int]*fdEntry, len(p.fds))
	for fd, en := range p.fds {
		t[fd] = &fdEntry{o: en.o, cloexec: en.cloexec}
	}
	st.procs[child] = &proc{fds: t, cwd: p.cwd}
}

// A byte: its value, or unknown (a read's, as unrender gives it).
type rbyte struct {
	b     byte
	known bool
}

// A chunk is bytes read or written: of its n bytes, the first len(data)
// are known where known says (every one, when known is nil), the rest
// unknown. data and known may be a file's own, not copied: a chunk is
// used before the next call changes that file.
type chunk struct {
	data  []byte
	known []bool
	n     int64
	// src, for bytes a read took of a file older than the trace that
	// the replay has not changed (file.pristine), names them: the path
	// and the offset. Two chunks of one src are the same bytes, known or
	// not; the bytes of others may be alike or not where unknown.
	src string
	// older is the file.older of the file a read took the bytes of, and
	// wild its file.wild.
	older string
	wild  bool
	// logged: n is the log's count, or bounded by it: the bytes past
	// those the replay knows of a file older than the trace, which may
	// be fewer in another subtrace.
	logged bool
}

// unput is the src of a pipe read's bytes that no write the replay has
// put: in a replay that leaves out no write the pipe got before the
// read, a split write's still in flight; in one that leaves such a
// write out, bytes the kernel would not have given (the read would have
// taken fewer, or waited).
const unput = "\x00unput"

// from returns the chunk past its first k bytes.
func (c chunk) from(k int64) chunk {
	out := chunk{n: max(c.n-k, 0)}
	if k < int64(len(c.data)) {
		out.data = c.data[k:]
		if c.known != nil {
			out.known = c.known[k:]
		}
	}
	return out
}

// knownAt tells whether byte i of a chunk is known.
func (c chunk) knownAt(i int) bool { return i < len(c.data) && (c.known == nil || c.known[i]) }

func readAt(f *file, off, count, logged int64) chunk {
	if f == nil || off < 0 {
		return chunk{}
	}
	end := off + count
	size := int64(len(f.data))
	if f.unknown && logged >= 0 && off+logged > size {
		size = off + logged // a file older than the trace: the log says how much there was
	}
	end = min(end, size)
	if end <= off {
		return chunk{logged: f.unknown && off+count > int64(len(f.data))}
	}
	have := min(end, int64(len(f.data))) // past them, unknown
	guess := f.unknown && off+count > int64(len(f.data))
	if have <= off || f.slab {
		return chunk{n: end - off, logged: guess}
	}
	return chunk{data: f.data[off:have], known: f.known[off:have], n: end - off, logged: guess}
}

// writeAt writes a chunk at off (copy's semantics, so a chunk of the
// file's own bytes may overlap where it goes).
func writeAt(f *file, off int64, c chunk) {
	if off < int64(len(f.data)) {
		ownBytes(f) // past its end, extend claims the room or copies
	}
	extend(f, off+c.n, !f.unknown)
	copy(f.data[off:], c.data)
	if c.known != nil {
		copy(f.known[off:], c.known)
	} else {
		fillKnown(f.known[off:off+int64(len(c.data))], true)
	}
	fillKnown(f.known[off+int64(len(c.data)):off+c.n], false)
}

// trues is a block of trues that fillKnown copies from.
var trues = func() []bool {
	b := make([]bool, 4096)
	for i := range b {
		b[i] = true
	}
	return b
}()

// fillKnown sets every mark of known to k: a copy, not a loop of one
// mark at a time (a pipe of 4 KiB writes replayed once per event of its
// history spent a fifth of an explanation setting marks).
func fillKnown(known []bool, k bool) {
	if !k {
		clear(known)
		return
	}
	for len(known) > 0 {
		known = known[copy(known, trues):]
	}
}

// A pipeTail is the room left past the end of the arrays that files
// sharing a pipe's bytes hold (file.tail).
type pipeTail struct{ room int }

// appendPipe puts a chunk at the end of a pipe's bytes (writeAt): in
// place when the room past them is still unclaimed (no file sharing the
// arrays has put bytes past this one's end), else into new arrays with
// room to grow, which this file alone holds until it is copied.
func appendPipe(f *file, c chunk) {
	n := int(c.n)
	if !claim(f, n) {
		size := 2 * (len(f.data) + n)
		f.data, f.known = append(make([]byte, 0, size), f.data...), append(make([]bool, 0, size), f.known...)
		f.tail = &pipeTail{room: size - len(f.data) - n}
	}
	writeAt(f, int64(len(f.data)), c) // into the room claimed: extend's slices.Grow finds it
}

// claim takes n bytes of the room past the end of f's arrays, which it
// shares with other files (tail), and reports whether it could: when no
// file sharing them has taken that room, so that f's own room is still
// all of it.
func claim(f *file, n int) bool {
	room := cap(f.data) - len(f.data)
	if f.tail == nil || room != f.tail.room || n > room || cap(f.known)-len(f.known) < n {
		return false
	}
	f.tail.room -= n
	return true
}

// ownBytes makes f's bytes its own to write in place: a copy, when they
// are shared (sharedBytes).
func ownBytes(f *file) {
	if f.sharedBytes {
		f.data, f.known = slices.Clone(f.data), slices.Clone(f.known)
		f.sharedBytes, f.tail = false, nil
	}
}

// fallocate does what fallocate(2) with mode does to a file's bytes from
// off for n: allocating them (mode 0) makes the file at least off+n
// long, with zeros; a hole punched or a range zeroed reads as zeros, up
// to the size unless the call makes the file longer; KEEP_SIZE keeps
// the size. A range collapsed or inserted moves the bytes after it:
// what the file holds is then unknown.
func fallocate(f *file, mode string, off, n int64) {
	f.pristine = ""
	keep := has(mode, "FALLOC_FL_KEEP_SIZE")
	zero := func() {
		ownBytes(f)
		for i := off; i < min(off+n, int64(len(f.data))); i++ {
			f.data[i], f.known[i] = 0, true
		}
	}
	switch {
	case mode == "0" || mode == "FALLOC_FL_KEEP_SIZE":
		if !keep {
			extend(f, off+n, !f.unknown)
		}
	case has(mode, "FALLOC_FL_PUNCH_HOLE"):
		zero()
	case has(mode, "FALLOC_FL_ZERO_RANGE"):
		if !keep {
			extend(f, off+n, !f.unknown)
		}
		zero()
	default:
		f.data, f.known, f.unknown = nil, nil, true
	}
}

func truncate(f *file, n int64) {
	f.pristine, f.guessedSize = "", false
	if n < int64(len(f.data)) {
		f.data, f.known = f.data[:n], f.known[:n]
		f.unknown = false
		return
	}
	extend(f, n, true)
	f.unknown = false
}

// extend makes f size bytes long if it is shorter, with zero bytes that
// are known or not.
func extend(f *file, size int64, known bool) {
	old := int64(len(f.data))
	if size <= old {
		return
	}
	n := int(size - old)
	switch {
	case !f.sharedBytes:
		f.data, f.known = slices.Grow(f.data, n)[:size], slices.Grow(f.known, n)[:size]
	case claim(f, n):
		f.data, f.known = f.data[:size], f.known[:size]
	default:
		// Arrays of its own, with room for two more such writes: not
		// twice its size, as the file it shared them with goes on in
		// place, and a search copies one of them at most of its
		// subsets' writes (twice the size made 275 MB of a read's
		// 207; this, 161).
		room := size + int64(2*n)
		f.data, f.known = append(make([]byte, 0, room), f.data...)[:size], append(make([]bool, 0, room), f.known...)[:size]
		f.sharedBytes, f.tail = false, nil
	}
	clear(f.data[old:])
	fillKnown(f.known[old:], known)
}

// shownBytes are the bytes the trace's reads showed of a file older
// than it (Model.shown): runs, each at its offset, as the reads showed
// them (a read's own string: no copy), and where the last one ends.
type shownBytes struct {
	runs  []shownRun
	end   int64
	mu    sync.Mutex
	sized map[int64]olderArrays // by size, the arrays olderBytes made
}

// A shownRun is the bytes one read showed, from offset off.
type shownRun struct {
	off  int64
	data string
}

// agree tells whether the runs show the same byte wherever two of them
// overlap: otherwise a process outside the trace wrote the file between
// two reads, or it is no plain file, and none of them is a fact. It
// sorts the runs by offset.
func (b *shownBytes) agree() bool {
	slices.SortFunc(b.runs, func(x, y shownRun) int { return cmp.Compare(x.off, y.off) })
	for i, x := range b.runs {
		for _, y := range b.runs[i+1:] {
			if y.off >= x.off+int64(len(x.data)) {
				break
			}
			n := min(x.off+int64(len(x.data)), y.off+int64(len(y.data))) - y.off
			if x.data[y.off-x.off:y.off-x.off+n] != y.data[:n] {
				return false
			}
		}
	}
	return true
}

// olderArrays are a file's bytes and their known marks.
type olderArrays struct {
	data  []byte
	known []bool
}

// learnShown takes, in the replay that makes Model.shown, the bytes a
// read or pread64 of a file older than the trace showed: those the
// kernel read at an offset the replay knows (chunk.src: the pristine
// path and where in it) while no call of the trace had changed the file.
// Not those of /proc, /sys or /dev, whose bytes change without a call.
func (st *state) learnShown(bs chunk, c call) {
	at := strings.LastIndexByte(bs.src, '@')
	if at <= 0 || bs.src == unput || c.op != "read" && c.op != "pread64" || !c.ok() || c.ret <= 0 {
		return
	}
	p := bs.src[:at]
	off, err := strconv.ParseInt(bs.src[at+1:], 10, 64)
	if err != nil || off < 0 || pseudo(p) {
		return
	}
	d := c.str(1)
	d = d[:min(int64(len(d)), c.ret)] // past -s's cut, not shown
	if off+int64(len(d)) > maxLearnedSize || d == "" {
		return
	}
	b := st.shownSeen[p]
	if b == nil {
		b = &shownBytes{}
		st.shownSeen[p] = b
	}
	b.runs = append(b.runs, shownRun{off, d})
	b.end = max(b.end, off+int64(len(d)))
}

// olderBytes returns the bytes a file older than the trace that path p
// names, n long, starts a replay with: those the trace's reads showed of
// it (Model.shown), the rest unknown, in arrays every replay shares and
// none writes (a write copies them first: mutable); shown says there
// were such bytes. Otherwise the shared unknown bytes (unknownBytes).
func (st *state) olderBytes(p string, n int64) (data []byte, known []bool, shown bool) {
	b := st.shown[p]
	if p == "" || b == nil || b.end > n {
		// None shown, or shown past the size the trace shows: not the
		// same file, or not as it was.
		data, known = unknownBytes(int(n))
		return data, known, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if a, ok := b.sized[n]; ok {
		return a.data, a.known, true
	}
	data, known = make([]byte, n), make([]bool, n)
	for _, r := range b.runs {
		copy(data[r.off:], r.data)
		fillKnown(known[r.off:r.off+int64(len(r.data))], true)
	}
	setKey(&b.sized, n, olderArrays{data, known})
	return data, known, true
}

// unknownSlab backs unknownBytes; it is never written.
var unknownSlab struct {
	sync.Mutex
	data  []byte
	known []bool
}

// unknownBytes returns n zero bytes, none known, shared by every caller:
// full slices (an append copies them), which no one may write.
// maxLearnedSize bounds the size of a file older than the trace that a
// replay makes of unknown bytes (unknownBytes holds twice that): a
// bigger one (a database, a disk image) keeps its size unknown.
const maxLearnedSize = 64 << 20

func unknownBytes(n int) ([]byte, []bool) {
	u := &unknownSlab
	u.Lock()
	defer u.Unlock()
	if len(u.data) < n {
		u.data, u.known = make([]byte, n), make([]bool, n)
	}
	return u.data[:n:n], u.known[:n:n]
}

// render writes bytes read as a quoted string, unknown bytes as "\?"
// and a run of more than 8 of them as "\?{N}" (a library's megabytes
// would otherwise be as many of them in every replay and every answer).
func render(c chunk) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 24+4*len(c.data)) // a byte takes at most four
	b = strconv.AppendInt(b, c.n, 10)
	b = append(b, ' ', '"')
	for i := 0; int64(i) < c.n; i++ {
		if !c.knownAt(i) {
			j := i
			for int64(j) < c.n && !c.knownAt(j) {
				if j >= len(c.data) {
					j = int(c.n) // the rest: unknown
					break
				}
				j++
			}
			if j-i > 8 {
				b = append(b, '\\', '?', '{')
				b = strconv.AppendInt(b, int64(j-i), 10)
				b = append(b, '}')
			} else {
				for range j - i {
					b = append(b, '\\', '?')
				}
			}
			i = j - 1
			continue
		}
		switch x := c.data[i]; {
		case x == '"' || x == '\\':
			b = append(b, '\\', x)
		case x < 0x20 || x >= 0x7f || x == '{' && i > 0 && !c.knownAt(i-1): // "\?{" begins a run
			b = append(b, '\\', 'x', hex[x>>4], hex[x&15])
		default:
			b = append(b, x)
		}
	}
	return string(append(b, '"'))
}
