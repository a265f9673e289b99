// Package tail is a live input (a source.Source) that follows files matching
// glob patterns, like `tail -F`, and delivers their lines in batches.
//
// # What is read
//
// Every line is one record: NDJSON, one JSON document per line. A line ends at
// "\n"; a "\r" before it is dropped; blank lines are skipped (they still count
// in line numbers). A line is delivered once its newline is written: a
// partial last line is held for as long as the writer takes to finish it and
// is never emitted on a timer, because a half-written JSON document is worse
// than a late one. The one exception is a file closed for good (renamed away
// or deleted and then idle, see Rotation, or a gzip file at its end): nothing
// can complete its last line any more, so it is delivered as it is, with a
// warning in the log.
//
// A line longer than Options.MaxLineBytes (16 MiB by default) is skipped,
// logged with its origin and counted in Stats.TooLong; the lines after it are
// read as usual. Memory per file is bounded by that limit plus one batch.
//
// Files named *.gz are decompressed (concatenated members too) and read once,
// to their end; they are not followed. A .gz file is opened once its size and
// modification time were the same at two consecutive scans, so a file still
// being compressed by logrotate is not read half-written; if it is truncated
// all the same, what was read is delivered, the error is logged, and it is
// resumed from its checkpoint if it grows later.
//
// # Discovery and polling
//
// The patterns are expanded with filepath.Glob every Options.Poll (250ms by
// default), and every open file is checked for growth at the same interval.
// Vigil polls instead of using inotify (fsnotify): it needs no dependency,
// behaves the same on every file system, including NFS, overlay and FUSE
// mounts where change notifications are missing or unreliable, and costs one
// stat per file and interval. The price is up to one interval of latency.
//
// Files are identified by device and inode, not by name: a file matched by two
// patterns, or through a symbolic link, is read once, and a file renamed to
// another matching name keeps being followed under its new name. Files
// found at startup without a checkpoint start at Options.StartAt ("beginning"
// or "end"); files that appear while running are new and are read from their
// beginning, whatever StartAt says. With "end", reading starts after the last
// complete line (a partial one is delivered once finished), and line numbers
// in Origin still count from the start of the file, which costs one read of
// the skipped part when the file is first seen.
//
// # Rotation
//
// Rename-and-create: the renamed file is read to its end through the
// descriptor that is already open, while the new file under the old name is
// read from its beginning. The old file is closed once it has been read to
// its end and has not grown for Options.CloseIdle (5s by default), which
// leaves the writer time to notice the rotation and reopen. A deleted file is
// treated the same way. Lines read from a file after it was renamed to a name
// the patterns do not match keep its former name in Origin.
//
// Rotation while Vigil is stopped: at startup, a file with a checkpoint that
// the patterns no longer match, and that was not read to its end, is looked
// for by its identity among the files of its directory (logrotate renamed
// "app.json" to "app.json.1", say). Found, it is read from its checkpoint to
// its end, then closed, alongside the new file under the old name. Not
// found (deleted, compressed into a new file, moved to another directory),
// it is reported once in the log with the bytes known to be unread, and
// counted in Stats.Lost and Stats.LostBytes. This needs a checkpoint store
// that can list its keys, as the state store can. A file the patterns
// stopped matching because they were changed is read to its end once too.
//
// Copytruncate: when a file's size drops below the read position, or its first
// bytes change (it was truncated and written past the old position between
// two polls), it is read again from its start; this is logged and counted in
// Stats.Truncations. Lines written between logrotate's copy and its truncation
// are lost: that is inherent to copytruncate, no reader can see them.
//
// # Guarantees
//
// Delivery is at least once, and in order per file. Each file has at most
// one batch in flight: its next batch is read only after the previous one was
// acknowledged. After Ack(nil) the file's position (the offset after the
// batch's last line, and that line's number) is saved through
// Options.Checkpoints under the key "<name>|dev=<device>|ino=<inode>"; the
// value is JSON that also holds the path, for humans, and a hash of the
// file's first 256 bytes, so that a new file reusing the inode of a deleted
// one is read from its start instead of from the old position. On start, a
// file resumes from its checkpoint: nothing acknowledged is read again and
// nothing is skipped. Ack(err) sends the same lines again after a backoff
// (Options.RetryDelay, doubling up to 30s), until they are acknowledged or
// the context ends; they are never skipped.
//
// Not guaranteed:
//   - order across files: each file is read by its own goroutine;
//   - exactly once: the lines of a batch that was not acknowledged when Vigil
//     stopped are read again on the next start (deterministic alert ids make
//     that harmless);
//   - lines written while Vigil was stopped to a file that was then deleted
//     or compressed (logrotate's compress makes a new file, which the
//     patterns may not match): they are reported, not read;
//   - without Options.Checkpoints, positions are not kept across runs and
//     every start begins at StartAt;
//   - a new file that reuses a deleted file's inode and begins with the same
//     256 bytes is taken for the old one and resumed at its position;
//   - checkpoints of files that are gone are not removed from the store
//     (source.Checkpoints has no delete): one small row per file ever read.
package tail
