"""The pingback/postback receiver: a WSGI app that turns vendor callbacks into result files.

DataForSEO calls a task's ``postback_url`` (POST of the results envelope, usually
gzip-compressed) or ``pingback_url`` (GET with the task ``id`` and ``tag`` filled in)
when the task completes. `ReceiverApp` answers both:

* postback: every task of the envelope is written to ``DIR/<provider>/<task id>.json``
  exactly as ``seotasks collect --to DIR`` writes it (the envelope with that one task),
  and the answer is 200 only after the files are durable;
* pingback: the task is put in a durable queue (`PingbackQueue`, one small file per
  task) and the answer is 200 at once; `PingbackWorker` collects it with the provider's
  ``collect`` (``task_get``) and writes the same file, so a slow vendor never makes the
  callback time out, and a restart loses nothing.

Only a request carrying the secret, as the first path segment (``/<secret>/postback``) or
as the ``secret`` query value, is served; it is compared in constant time. Everything
else is 404, logged without the path (a wrong secret may be a near miss of the right
one). Bodies are capped before and after decompression, and a gzip body is measured
before it is kept, so a bomb is refused having held one chunk of its output; the JSON
is parsed strictly (no NaN, no nesting deeper than the parser holds), so every file
written is strict JSON. Malformed deliveries are 400 and recorded under
``DIR/.rejected/`` for inspection. A delivery that cannot be stored (a full disk) is
503, logged once per burst, not once a request. The app never raises: an unexpected
error is a 500.

A task delivered twice (the vendor retries, two callbacks race) is written once: the
second delivery finds the file, or waits for the write in progress, and adds no line.

One module a job, each imported from where it lives:

* `seotasks.receiver.app`: `ReceiverApp`, routing behind the secret and the answers;
* `seotasks.receiver.body`: reading, decompressing and parsing a body within the caps;
* `seotasks.receiver.writes`: each task's file written once, durably, with its line;
* `seotasks.receiver.owed`: the lines owed for files written, printed at least once;
* `seotasks.receiver.pingbacks`: `PingbackQueue` and `PingbackWorker`;
* `seotasks.receiver.rejected`: the refusal a bad request gets and the record it leaves;
* `seotasks.receiver.alarm`: `WriteAlarm`, one log line per burst of failed writes.

Serving the app (waitress, signals, graceful stop) is the ``seotasks receive`` command's
job, in `seotasks.cli.receive_run`.
"""
