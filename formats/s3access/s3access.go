// Package s3access reads Amazon S3 server access logs: one record per
// line, space-separated, with a bracketed time, a quoted Request-URI,
// Referer and User-Agent, and "-" for empty fields.
//
// The first eight fields (owner, bucket, time, remote IP, requester,
// request id, operation, key) and the six after the Request-URI are split
// positionally. User-Agents may contain quotes, so the User-Agent runs to
// the last quote of the line; the fields after it (version id, host id,
// signature version, cipher, auth type, host header, TLS version, access
// point ARN, aclRequired, and any added later) are bare tokens, and older
// records may stop before them.
//
// An event's Op is the operation ("REST.PUT.OBJECT"), NS the bucket, and
// Args are the key (URL-decoded), the version id, the object size and the
// bytes sent ("" for "-"), then the Request-URI. Its Reply is the HTTP
// status, followed by the error code when there is one ("404 NoSuchKey").
// ReqID is the request id; Client the remote IP. The parts of a
// multipart upload and its completion have Parent "upload ID".
package s3access

import (
	"bytes"
	"net/url"
	"time"

	"github.com/wat-project/wat/formats"
)

// Format is the S3 server access log format.
var Format = &formats.Format{
	Name:      "s3-access",
	System:    "s3",
	Doc:       "Amazon S3 server access logs",
	URL:       "https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html",
	Sniff:     sniff,
	NewParser: func() formats.Parser { return &parser{} },
	Samples: []string{
		`79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes`,
		`79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be photos [24/Nov/2026:15:00:01 +0000] 10.0.9.4 arn:aws:iam::123456789012:user/api 7C1A0B2D3E4F5061 REST.PUT.OBJECT avatars/u42%20new.png "PUT /photos/avatars/u42%20new.png HTTP/1.1" 200 - - 2048 31 12 "-" "aws-sdk-go/1.44 (go1.21; linux; amd64) "quoted" ua" 3HL4kqtJvjVBH40Nrjfkd - SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader photos.s3.amazonaws.com TLSv1.3 - -`,
		`79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be photos [24/Nov/2026:15:00:02 +0000] 10.0.9.4 - 7C1A0B2D3E4F5062 REST.GET.OBJECT nothere.png "GET /photos/nothere.png HTTP/1.1" 404 NoSuchKey 243 - 9 - "-" "curl/8.5.0"`,
	},
}

// sniff returns 90 when most non-blank first lines are access records.
func sniff(lines [][]byte) int {
	p := &parser{}
	var ev formats.Event
	good, seen := formats.CountLines(lines, func(l []byte) bool {
		r, err := p.Parse(l, &ev)
		return err == nil && r == formats.IsEvent
	})
	if good > 0 && 2*good > seen {
		return 90
	}
	return 0
}

type parser struct{}

// Field positions.
const (
	fOwner = iota
	fBucket
	fTime
	fRemoteIP
	fRequester
	fRequestID
	fOperation
	fKey
	nHead
)

func (p *parser) Parse(line []byte, ev *formats.Event) (formats.Result, error) {
	l := bytes.TrimSuffix(line, []byte("\r"))
	if len(bytes.TrimSpace(l)) == 0 {
		return formats.IsSkipped, nil
	}
	rest := l
	var head [nHead][]byte
	for i := 0; i < nHead; i++ {
		rest = bytes.TrimLeft(rest, " ")
		var tok []byte
		var err error
		if i == fTime {
			tok, rest, err = bracketed(rest)
		} else {
			tok, rest, err = bare(rest)
		}
		if err != nil {
			return 0, formats.Errorf("field %d (%s): %v", i+1, fieldNames[i], err)
		}
		head[i] = tok
	}
	rest = bytes.TrimLeft(rest, " ")
	uri, rest, err := quoted(rest)
	if err != nil {
		return 0, formats.Errorf("field 9 (Request-URI): %v", err)
	}
	var mid [6][]byte // status, error code, bytes sent, object size, total time, turn-around time
	for i := range mid {
		rest = bytes.TrimLeft(rest, " ")
		if mid[i], rest, err = bare(rest); err != nil {
			return 0, formats.Errorf("field %d (%s): %v", 10+i, midNames[i], err)
		}
	}
	// Referer and User-Agent, then bare trailing fields.
	var tail [][]byte
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) > 0 {
		if _, rest, err = quoted(rest); err != nil {
			return 0, formats.Errorf("field 16 (Referer): %v", err)
		}
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) > 0 {
			if rest[0] != '"' {
				return 0, formats.Errorf("field 17 (User-Agent): want a quoted string")
			}
			end := bytes.LastIndexByte(rest, '"')
			if end == 0 {
				return 0, formats.Errorf("field 17 (User-Agent): no closing quote")
			}
			rest = rest[end+1:]
			if len(rest) > 0 && rest[0] != ' ' {
				return 0, formats.Errorf("field 17 (User-Agent): text after the closing quote")
			}
			tail = bytes.Fields(rest)
		}
	}
	t, err := time.Parse("02/Jan/2006:15:04:05 -0700", string(head[fTime]))
	if err != nil {
		return 0, formats.Errorf("field 3 (Time): %q is not [DD/Mon/YYYY:HH:MM:SS +ZZZZ]", head[fTime])
	}
	status := dash(mid[0])
	if len(status) != 3 || status[0] < '1' || status[0] > '5' {
		return 0, formats.Errorf("field 10 (HTTP status): %q is not a status code", mid[0])
	}
	key := dash(head[fKey])
	if len(key) > 0 {
		dec, err := url.PathUnescape(string(key))
		if err != nil {
			return 0, formats.Errorf("field 8 (Key): %v", err)
		}
		key = []byte(dec)
	}
	var version []byte
	if len(tail) > 0 {
		version = dash(tail[0])
	}
	*ev = formats.Event{
		Time:   t.UnixNano(),
		System: "s3",
		NS:     string(dash(head[fBucket])),
		Client: string(dash(head[fRemoteIP])),
		Op:     string(head[fOperation]),
		ReqID:  string(dash(head[fRequestID])),
		Args:   [][]byte{key, clone(version), clone(dash(mid[3])), clone(dash(mid[2])), clone(uri)},
		Raw:    append([]byte(nil), line...),
	}
	reply := append([]byte(nil), status...)
	if code := dash(mid[1]); len(code) > 0 {
		reply = append(append(reply, ' '), code...)
	}
	ev.Reply = reply
	// The parts of a multipart upload and its completion name the upload.
	if op := ev.Op; op == "REST.PUT.PART" || op == "REST.POST.UPLOAD" || op == "REST.PUT.PART_COPY" {
		if _, q, ok := bytes.Cut(uri, []byte("?")); ok {
			q, _, _ = bytes.Cut(q, []byte(" "))
			if v, err := url.ParseQuery(string(q)); err == nil && v.Get("uploadId") != "" {
				ev.Parent = "upload " + v.Get("uploadId")
			}
		}
	}
	return formats.IsEvent, nil
}

var fieldNames = [nHead]string{"Bucket Owner", "Bucket", "Time", "Remote IP", "Requester", "Request ID", "Operation", "Key"}
var midNames = [6]string{"HTTP status", "Error Code", "Bytes Sent", "Object Size", "Total Time", "Turn-Around Time"}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// dash maps "-" to empty.
func dash(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

type fieldError string

func (e fieldError) Error() string { return string(e) }

func bare(b []byte) (tok, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, fieldError("missing")
	}
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil, nil
	}
	return b[:i], b[i:], nil
}

func bracketed(b []byte) (tok, rest []byte, err error) {
	if len(b) == 0 || b[0] != '[' {
		return nil, nil, fieldError("want [...]")
	}
	i := bytes.IndexByte(b, ']')
	if i < 0 {
		return nil, nil, fieldError("no closing ]")
	}
	return b[1:i], b[i+1:], nil
}

// quoted reads "..." up to the first quote followed by a space or the end.
func quoted(b []byte) (tok, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, fieldError("missing")
	}
	if b[0] != '"' {
		if len(b) > 0 && b[0] == '-' { // some tools write a bare -
			return nil, b[1:], nil
		}
		return nil, nil, fieldError("want a quoted string")
	}
	for i := 1; i < len(b); i++ {
		if b[i] == '"' && (i+1 == len(b) || b[i+1] == ' ') {
			return b[1:i], b[i+1:], nil
		}
	}
	return nil, nil, fieldError("no closing quote")
}
