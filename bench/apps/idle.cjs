// Bench app: does nothing, forever (per-app memory overhead, agent memory with N apps).
setInterval(() => {}, 1000);
