// program.js: what a Node service does to its files, each call run by
// libuv's thread pool (threads sharing one fd table): writeFile,
// appendFile, a write stream, rename over a file, copyFile, truncate,
// fs.promises with a file handle's positioned reads and writes, readdir,
// and a child process appending to the same log.
"use strict";
const fs = require("fs");
const fsp = fs.promises;
const { execFileSync } = require("child_process");

async function main() {
  fs.writeFileSync("a", "hello\n");
  await fsp.writeFile("b", "x1\n");
  await fsp.appendFile("b", "x2\n");
  process.stdout.write(await fsp.readFile("b"));
  await new Promise((done) => {
    const w = fs.createWriteStream("c");
    for (let i = 0; i < 50; i++) w.write(`line ${i}\n`);
    w.end("end\n", done);
  });
  process.stdout.write((await fsp.readFile("c", "utf8")).split("\n").slice(-3).join("|") + "\n");
  await fsp.writeFile("state.tmp", JSON.stringify({ n: 1 }));
  await fsp.rename("state.tmp", "state.json");
  await fsp.writeFile("state.tmp", JSON.stringify({ n: 2 }));
  await fsp.rename("state.tmp", "state.json");
  process.stdout.write(await fsp.readFile("state.json", "utf8") + "\n");
  await fsp.copyFile("c", "d");
  await fsp.truncate("d", 10);
  process.stdout.write(await fsp.readFile("d"));
  const h = await fsp.open("e", "w+");
  await h.write("0123456789", 0);
  await h.write("AB", 3);
  const buf = Buffer.alloc(10);
  await h.read(buf, 0, 10, 0);
  await h.close();
  process.stdout.write(buf.toString() + "\n");
  await Promise.all([fsp.appendFile("log", "p1\n"), fsp.appendFile("log", "p2\n")]);
  execFileSync("sh", ["-c", "echo child >> log"]);
  await fsp.appendFile("log", "p3\n");
  process.stdout.write(await fsp.readFile("log"));
  process.stdout.write((await fsp.readdir(".")).sort().join(",") + "\n");
  await fsp.unlink("a");
  await fsp.mkdir("sub/deeper", { recursive: true });
  await fsp.writeFile("sub/deeper/f", "deep\n");
  process.stdout.write(await fsp.readFile("sub/deeper/f"));
  await fsp.rm("sub", { recursive: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
