// Decode an HdrHistogram interval log (.hlog) with hdr-histogram-js, an
// independent implementation, and print per tag ("" = untagged) the summed
// histogram: count, intervals, and the value at each percentile asked
// (HdrHistogram's highest equivalent value of the bucket at that rank).
// Usage: node hlog_decode.js NODE_MODULES_DIR FILE.hlog P1 P2 ...
"use strict";
const fs = require("fs");
const path = require("path");
const hdr = require(path.join(process.argv[2], "hdr-histogram-js"));
const text = fs.readFileSync(process.argv[3], "utf8");
const pcts = process.argv.slice(4).map(Number);
const reader = new hdr.HistogramLogReader(text, 64);
const sums = {};
let h;
while ((h = reader.nextIntervalHistogram()) !== null) {
  const tag = h.tag === "NO TAG" || h.tag === undefined ? "" : h.tag;
  if (!sums[tag]) {
    sums[tag] = {h: hdr.build({bitBucketSize: 64, lowestDiscernibleValue: 1,
                                highestTrackableValue: 3600000000, numberOfSignificantValueDigits: 3}),
                 intervals: 0, starts: []};
  }
  sums[tag].h.add(h);
  sums[tag].intervals++;
  sums[tag].starts.push(h.startTimeStampMsec);
}
const out = {};
for (const [tag, s] of Object.entries(sums)) {
  const p = {};
  for (const q of pcts) p[String(q)] = s.h.getValueAtPercentile(q);
  out[tag] = {count: s.h.totalCount, intervals: s.intervals, percentiles: p,
              max: s.h.maxValue, starts: s.starts};
}
process.stdout.write(JSON.stringify(out));
