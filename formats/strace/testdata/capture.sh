#!/bin/sh
# capture.sh regenerates trace.log: a real `strace -f -tt -T -yy -s 256`
# capture of a shell script that writes a config file, updates it by
# writing a temporary file and renaming it into place (mv), reads it (cat),
# appends to it, edits it in place (sed -i), copies it (cp), deletes a file
# and tries to read it, and a Python reader, all in a scratch directory.
# plain.log is the same run under `strace -f -tt -T -s 256` (no -yy).
# Paths are rewritten to /work/cfg so the capture does not depend on where
# it was made. Run from anywhere: formats/strace/testdata/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/cfg"
cat > "$scratch/update.sh" <<'SCRIPT'
#!/bin/sh
cd "$1"
printf 'max_conn=100\n' > app.conf
printf 'max_conn=300\n' > app.conf.tmp
mv app.conf.tmp app.conf
cat app.conf > /dev/null
printf 'debug=1\n' >> app.conf
sed -i 's/300/400/' app.conf
cp app.conf backup.conf
printf 'old\n' > gone.conf
rm gone.conf
cat gone.conf 2>/dev/null || true
python3 -c 'print(open("app.conf").read(), end="")' > /dev/null 2>&1 || true
SCRIPT
chmod +x "$scratch/update.sh"
strace -f -tt -T -yy -s 256 -o "$scratch/trace.log" "$scratch/update.sh" "$scratch/cfg"
sed "s#$scratch#/work#g" "$scratch/trace.log" > "$here/trace.log"
# The same run without -yy: fds without paths, which wat tracks itself.
rm -rf "$scratch/cfg" && mkdir "$scratch/cfg"
strace -f -tt -T -s 256 -o "$scratch/plain.log" "$scratch/update.sh" "$scratch/cfg"
sed "s#$scratch#/work#g" "$scratch/plain.log" > "$here/plain.log"
wc -l "$here/trace.log" "$here/plain.log"
