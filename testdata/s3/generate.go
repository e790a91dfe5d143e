//go:build ignore

// generate writes access.log, Amazon S3 server access log records in the
// documented format (no S3 server runs here): a versioned bucket "photos"
// and an unversioned bucket "backup"; a photo uploaded twice, copied into
// the backup bucket and from there to a second key, deleted (a delete
// marker), read by version, and the records two buckets' logs deliver out
// of order within one second. Run from the repository root:
//
//	go run testdata/s3/generate.go > testdata/s3/access.log
package main

import (
	"fmt"
	"time"
)

const owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

var t0 = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
var n = 0

// record prints one record; sec is seconds after t0.
func record(sec int, bucket, op, key, uri string, status int, code string, sent, size, version string) {
	n++
	reqID := fmt.Sprintf("3E57427F3EX%05d", n)
	rec(sec, bucket, op, key, uri, status, code, sent, size, version, reqID)
}

func rec(sec int, bucket, op, key, uri string, status int, code string, sent, size, version, reqID string) {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	ts := t0.Add(time.Duration(sec) * time.Second).Format("02/Jan/2006:15:04:05 -0700")
	fmt.Printf("%s %s [%s] 10.0.9.4 arn:aws:iam::123456789012:user/api %s %s %s \"%s\" %d %s %s %s 12 7 \"-\" \"aws-sdk-go/1.44.0 (go1.21; linux; amd64)\" %s s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader %s.s3.amazonaws.com TLSv1.3 - -\n",
		owner, bucket, ts, reqID, op, dash(key), uri, status, dash(code), dash(sent), dash(size), dash(version), bucket)
}

func main() {
	record(0, "photos", "REST.GET.VERSIONING", "", "GET /photos?versioning HTTP/1.1", 200, "", "113", "", "")
	record(1, "photos", "REST.PUT.OBJECT", "u42.png", "PUT /photos/u42.png HTTP/1.1", 200, "", "", "2048", "v1a")
	record(2, "photos", "REST.GET.OBJECT", "u42.png", "GET /photos/u42.png HTTP/1.1", 200, "", "2048", "2048", "v1a")
	record(3, "photos", "REST.PUT.OBJECT", "u42.png", "PUT /photos/u42.png HTTP/1.1", 200, "", "", "3072", "v2b")
	// The copy: the source read and the destination write share a
	// request id, and land in two buckets' logs.
	rec(4, "photos", "REST.COPY.OBJECT_GET", "u42.png", "PUT /backup/avatars/u42.png HTTP/1.1", 200, "", "", "3072", "v2b", "3E57427F3EXCOPY1")
	rec(4, "backup", "REST.COPY.OBJECT", "avatars/u42.png", "PUT /backup/avatars/u42.png HTTP/1.1", 200, "", "", "3072", "", "3E57427F3EXCOPY1")
	record(5, "backup", "REST.GET.OBJECT", "avatars/u42.png", "GET /backup/avatars/u42.png HTTP/1.1", 200, "", "3072", "3072", "")
	// A second copy, from the backup.
	rec(6, "backup", "REST.COPY.OBJECT_GET", "avatars/u42.png", "PUT /backup/old/u42.png HTTP/1.1", 200, "", "", "3072", "", "3E57427F3EXCOPY2")
	rec(6, "backup", "REST.COPY.OBJECT", "old/u42.png", "PUT /backup/old/u42.png HTTP/1.1", 200, "", "", "3072", "", "3E57427F3EXCOPY2")
	record(7, "backup", "REST.GET.OBJECT", "old/u42.png", "GET /backup/old/u42.png HTTP/1.1", 200, "", "3072", "3072", "")
	// A delete in the versioned bucket leaves a marker; the current read
	// is a 404, the first version is still there by id.
	record(8, "photos", "REST.DELETE.OBJECT", "u42.png", "DELETE /photos/u42.png HTTP/1.1", 204, "", "", "", "dm3c")
	record(9, "photos", "REST.GET.OBJECT", "u42.png", "GET /photos/u42.png HTTP/1.1", 404, "NoSuchKey", "243", "", "")
	record(10, "photos", "REST.GET.OBJECT", "u42.png", "GET /photos/u42.png?versionId=v1a HTTP/1.1", 200, "", "2048", "2048", "v1a")
	record(11, "photos", "REST.HEAD.OBJECT", "nothere.png", "HEAD /photos/nothere.png HTTP/1.1", 404, "NoSuchKey", "", "", "")
	record(12, "photos", "REST.PUT.OBJECT", "u7.png", "PUT /photos/u7.png HTTP/1.1", 403, "AccessDenied", "243", "", "")
	// Two writes and a read in one second: the answer depends on the
	// order the records were ingested in, and says so.
	record(13, "backup", "REST.PUT.OBJECT", "notes.txt", "PUT /backup/notes.txt HTTP/1.1", 200, "", "", "10", "")
	record(13, "backup", "REST.PUT.OBJECT", "notes.txt", "PUT /backup/notes.txt HTTP/1.1", 200, "", "", "11", "")
	record(13, "backup", "REST.GET.OBJECT", "notes.txt", "GET /backup/notes.txt HTTP/1.1", 200, "", "11", "11", "")
	// Listings: the access log does not record what they returned.
	record(20, "backup", "REST.GET.BUCKET", "", "GET /backup?list-type=2&prefix=avatars%2F HTTP/1.1", 200, "", "412", "", "")
	record(21, "photos", "REST.GET.BUCKET", "", "GET /photos?list-type=2 HTTP/1.1", 200, "", "298", "", "")
	// A multipart upload: its completion is the write; the parts name the
	// upload.
	record(22, "photos", "REST.POST.UPLOADS", "big.mov", "POST /photos/big.mov?uploads HTTP/1.1", 200, "", "280", "", "")
	record(23, "photos", "REST.PUT.PART", "big.mov", "PUT /photos/big.mov?partNumber=1&uploadId=VXBsb2FkMQ HTTP/1.1", 200, "", "", "5242880", "")
	record(24, "photos", "REST.PUT.PART", "big.mov", "PUT /photos/big.mov?partNumber=2&uploadId=VXBsb2FkMQ HTTP/1.1", 200, "", "", "1048576", "")
	record(25, "photos", "REST.POST.UPLOAD", "big.mov", "POST /photos/big.mov?uploadId=VXBsb2FkMQ HTTP/1.1", 200, "", "330", "6291456", "v5mp")
	record(26, "photos", "REST.HEAD.OBJECT", "big.mov", "HEAD /photos/big.mov HTTP/1.1", 200, "", "", "6291456", "v5mp")
}
