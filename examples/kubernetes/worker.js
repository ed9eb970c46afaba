// A background worker: one line a minute.
setInterval(() => console.log(`worker ${process.pid} tick`), 60_000);
