// Preloaded by bench/soak.js: reports the process's peak resident set size when it exits.
process.on('exit', () => process.stderr.write(`peak-rss ${process.resourceUsage().maxRSS * 1024}\n`));
