package s3

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wat-project/wat/formats"
	"github.com/wat-project/wat/provenance"
)

// A request is an S3 event normalized from either log shape: an access
// log record (Op "REST.PUT.OBJECT", NS the bucket, Args key, version id,
// object size, bytes sent, Request-URI; Reply "200" or "404 NoSuchKey") or
// a JSON-lines call through a mapping (Op "PutObject", NS the bucket, Args
// key, version id, size; Reply the status).
type request struct {
	op      string // PUT COPY COPYSRC COMPLETE DELETE EXPIRE MARKER GET HEAD LIST CREATEBUCKET DELETEBUCKET, or ""
	bucket  string
	key     string
	version string // the Version Id field: the version written, read or the delete marker made
	size    string
	status  int
	code    string // error code
	want    string // the versionId the Request-URI asks for
	prefix  string // the prefix a listing asks for
}

var ops = map[string]string{
	"REST.PUT.OBJECT": "PUT", "PUTOBJECT": "PUT",
	"REST.COPY.OBJECT": "COPY", "COPYOBJECT": "COPY",
	"REST.COPY.OBJECT_GET": "COPYSRC",
	"REST.POST.UPLOAD":     "COMPLETE", "COMPLETEMULTIPARTUPLOAD": "COMPLETE",
	"REST.DELETE.OBJECT": "DELETE", "DELETEOBJECT": "DELETE", "BATCH.DELETE.OBJECT": "DELETE",
	"S3.EXPIRE.OBJECT":       "EXPIRE",
	"S3.CREATE.DELETEMARKER": "MARKER",
	"REST.GET.OBJECT":        "GET", "GETOBJECT": "GET",
	"REST.HEAD.OBJECT": "HEAD", "HEADOBJECT": "HEAD",
	"REST.GET.BUCKET": "LIST", "LISTOBJECTS": "LIST", "LISTOBJECTSV2": "LIST",
	"REST.PUT.BUCKET": "CREATEBUCKET", "CREATEBUCKET": "CREATEBUCKET",
	"REST.DELETE.BUCKET": "DELETEBUCKET", "DELETEBUCKET": "DELETEBUCKET",
}

func normalize(e *formats.Event) request {
	r := request{op: ops[strings.ToUpper(e.Op)], bucket: e.NS}
	arg := func(i int) string {
		if i < len(e.Args) {
			return string(e.Args[i])
		}
		return ""
	}
	r.key, r.version, r.size = arg(0), arg(1), arg(2)
	if r.version == "null" {
		r.version = ""
	}
	if uri := arg(4); uri != "" {
		if _, rest, ok := strings.Cut(uri, "?"); ok {
			rest, _, _ = strings.Cut(rest, " ")
			if q, err := url.ParseQuery(rest); err == nil {
				r.want, r.prefix = q.Get("versionId"), q.Get("prefix")
			}
		}
	}
	reply := strings.TrimSpace(string(e.Reply))
	st, code, _ := strings.Cut(reply, " ")
	r.status, _ = strconv.Atoi(st)
	if r.status == 0 && e.Reply == nil {
		r.status = 200 // a call logged without its status: assume it succeeded
	}
	r.code, _, _ = strings.Cut(code, " ")
	if strings.Contains(r.code, "=") {
		r.code = ""
	}
	return r
}

func (r request) ok() bool { return r.status >= 200 && r.status < 300 }

// writes reports whether the request changes state.
func (r request) writes() bool {
	switch r.op {
	case "PUT", "COPY", "COMPLETE", "DELETE", "EXPIRE", "MARKER", "CREATEBUCKET", "DELETEBUCKET":
		return r.ok()
	}
	return false
}

// reads reports whether the request's output is a read of an object.
func (r request) reads() bool { return r.op == "GET" || r.op == "HEAD" || r.op == "COPYSRC" }

// A version of an object; id "" is the null version of an unversioned
// bucket.
type version struct {
	id, size string
	marker   bool
	// by is where the version was written when its id is null: its
	// bytes are not logged, and are never taken to equal another
	// write's, whatever their sizes.
	by string
}

// An object is a key's versions, oldest first. revived says a write
// succeeded on it after its bucket was deleted: the log shows the bucket
// existed again, and the key's state must not depend on other keys.
type object struct {
	vs      []version
	revived bool
}

type bucket struct {
	deleted bool
	objs    map[string]object
}

type state struct{ buckets map[string]*bucket }

// Model is the S3 model: buckets, and per key its versions and delete
// markers. Contents are not logged; a version is its id and size.
type Model struct{}

var _ provenance.Model = Model{}

// Init returns the start state: every bucket exists and is empty.
func (Model) Init() provenance.State { return &state{buckets: map[string]*bucket{}} }

// Clone copies a state.
func (Model) Clone(s provenance.State) provenance.State {
	st := s.(*state)
	c := &state{buckets: make(map[string]*bucket, len(st.buckets))}
	for name, b := range st.buckets {
		nb := &bucket{deleted: b.deleted, objs: make(map[string]object, len(b.objs))}
		for k, o := range b.objs {
			nb.objs[k] = object{vs: append([]version(nil), o.vs...), revived: o.revived}
		}
		c.buckets[name] = nb
	}
	return c
}

// Fingerprint renders a state canonically.
func (Model) Fingerprint(s provenance.State) string {
	st := s.(*state)
	var b strings.Builder
	for _, n := range slices.Sorted(maps.Keys(st.buckets)) {
		bk := st.buckets[n]
		fmt.Fprintf(&b, "%q %v{", n, bk.deleted)
		for _, k := range slices.Sorted(maps.Keys(bk.objs)) {
			fmt.Fprintf(&b, "%q:%v ", k, bk.objs[k])
		}
		b.WriteString("}")
	}
	return b.String()
}

func (st *state) bucket(name string) *bucket {
	b := st.buckets[name]
	if b == nil {
		b = &bucket{objs: map[string]object{}}
		st.buckets[name] = b
	}
	return b
}

// Apply runs a request and returns its output: for reads, the status with
// the version and size served ("200 version=v size=17", "404 NoSuchKey");
// for writes, "OK" when the log says they succeeded (they are applied as
// logged: the log is the evidence of what S3 did).
func (Model) Apply(s provenance.State, e *formats.Event) provenance.Output {
	st := s.(*state)
	r := normalize(e)
	switch {
	case r.reads():
		return read(st, r)
	case r.op == "LIST":
		return list(st, r)
	case !r.writes():
		return ""
	}
	b := st.bucket(r.bucket)
	switch r.op {
	case "CREATEBUCKET":
		b.deleted, b.objs = false, map[string]object{}
		return "OK"
	case "DELETEBUCKET":
		b.deleted, b.objs = true, map[string]object{}
		return "OK"
	}
	vs := b.objs[r.key].vs
	switch r.op {
	case "PUT", "COPY", "COMPLETE":
		vs = without(vs, r.version)
		v := version{id: r.version, size: r.size}
		if v.id == "" {
			v.by = e.Where()
		}
		vs = append(vs, v)
	case "DELETE":
		switch {
		case r.want != "": // permanent delete of one version
			vs = without(vs, r.want)
		case r.version != "": // versioned: a delete marker
			vs = append(vs, version{id: r.version, marker: true})
		default:
			vs = removeCurrent(vs)
		}
	case "EXPIRE":
		if r.version != "" {
			vs = append(vs, version{id: r.version, marker: true})
		} else {
			vs = removeCurrent(vs)
		}
	case "MARKER":
		vs = append(without(vs, r.version), version{id: r.version, marker: true})
	}
	// A logged success shows the bucket existed, for this key at least.
	b.objs[r.key] = object{vs: vs, revived: true}
	return "OK"
}

// removeCurrent is a delete that names no version: in a bucket that was
// never versioned the null version goes; when the key has versions with
// ids, the bucket's versioning is suspended (an enabled bucket would have
// logged a marker's id) and a null delete marker replaces the null
// version. Either way the key reads as missing.
func removeCurrent(vs []version) []version {
	for _, v := range vs {
		if v.id != "" {
			return append(without(vs, ""), version{marker: true})
		}
	}
	return without(vs, "")
}

func without(vs []version, id string) []version {
	out := vs[:0:0]
	for _, v := range vs {
		if v.id != id {
			out = append(out, v)
		}
	}
	return out
}

func read(st *state, r request) provenance.Output {
	b := st.buckets[r.bucket]
	var vs []version
	if b != nil {
		o := b.objs[r.key]
		if b.deleted && !o.revived {
			return "404 NoSuchBucket"
		}
		vs = o.vs
	}
	if r.want != "" {
		for i := len(vs) - 1; i >= 0; i-- {
			if vs[i].id == r.want {
				if vs[i].marker {
					return "405 MethodNotAllowed"
				}
				return served(vs[i])
			}
		}
		return "404 NoSuchVersion"
	}
	if len(vs) == 0 || vs[len(vs)-1].marker {
		return "404 NoSuchKey"
	}
	return served(vs[len(vs)-1])
}

func served(v version) provenance.Output {
	out := "200"
	if v.id != "" {
		out += " version=" + v.id
	}
	if v.size != "" {
		out += " size=" + v.size
	}
	if v.by != "" {
		out += " written=" + v.by
	}
	return provenance.Output(out)
}

// list returns the keys a listing shows: those under its prefix whose
// current version is not a delete marker.
func list(st *state, r request) provenance.Output {
	b := st.buckets[r.bucket]
	if b != nil && b.deleted {
		return "404 NoSuchBucket"
	}
	var keys []string
	if b != nil {
		for k, o := range b.objs {
			if len(o.vs) > 0 && !o.vs[len(o.vs)-1].marker && strings.HasPrefix(k, r.prefix) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return provenance.Output("200 [" + strings.Join(keys, " ") + "]")
}
