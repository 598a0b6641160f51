// bench_simdjson.cpp - simdjson's DOM parser, the peer of build/bench_json.
//
//   c++ -std=c++17 -O2 -DNDEBUG bench/bench_simdjson.cpp -o build/bench_simdjson -lsimdjson
//   build/bench_simdjson <file> <records> <runs>     the export-shaped document of bench_json
//   build/bench_simdjson --docs <runs> <file>...     the general documents: one line each,
//                                                    "simdjson <file> <MB/s> <elements>", timed
//                                                    in thread CPU time as bench_json times them
//
// Parses the same bytes (loaded once, padded as simdjson requires) best of <runs>, with one
// parser whose buffers are reused, and checks what it parsed (the record count; the number of
// elements, which bench_json compares with its own count).
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

static size_t count_elements(simdjson::dom::element e) {
    size_t n = 1;
    if (e.is_array()) {
        for (simdjson::dom::element x : simdjson::dom::array(e)) n += count_elements(x);
    } else if (e.is_object()) {
        for (simdjson::dom::key_value_pair kv : simdjson::dom::object(e)) n += count_elements(kv.value);
    }
    return n;
}

// Wall time (the export-shaped document, as bench_json times its own) or the thread's CPU time
// (the general documents, as bench_json times them there).
static double clock_now(bool cpu) {
    struct timespec ts;
    if (!cpu) return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double best_parse(simdjson::dom::parser &parser, const simdjson::padded_string &text, int runs, simdjson::dom::element &doc,
                         bool cpu) {
    double best = 1e9;
    for (int i = 0; i < runs; i++) {
        double t0 = clock_now(cpu);
        if (parser.parse(text).get(doc)) {
            std::fprintf(stderr, "bench_simdjson: parse failed\n");
            std::exit(1);
        }
        double dt = clock_now(cpu) - t0;
        if (dt < best) best = dt;
    }
    return best;
}

int main(int argc, char **argv) {
    simdjson::dom::parser parser;
    if (argc >= 4 && !std::strcmp(argv[1], "--docs")) {
        const int runs = std::atoi(argv[2]);
        for (int a = 3; a < argc; a++) {
            simdjson::padded_string text;
            simdjson::dom::element doc;
            if (simdjson::padded_string::load(argv[a]).get(text)) {
                std::fprintf(stderr, "bench_simdjson: cannot load %s\n", argv[a]);
                return 1;
            }
            double best = best_parse(parser, text, runs, doc, true);
            std::printf("simdjson %s %.1f %zu\n", argv[a], (double)text.size() / 1e6 / best, count_elements(doc));
        }
        return 0;
    }
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_simdjson <file> <records> <runs> | --docs <runs> <file>...\n");
        return 2;
    }
    const size_t records = std::strtoull(argv[2], nullptr, 10);
    const int runs = std::atoi(argv[3]);
    simdjson::padded_string text;
    if (simdjson::padded_string::load(argv[1]).get(text)) {
        std::fprintf(stderr, "bench_simdjson: cannot load %s\n", argv[1]);
        return 1;
    }
    simdjson::dom::element doc;
    double best = best_parse(parser, text, runs, doc, false);
    simdjson::dom::array arr;
    if (doc["data"]["vector_embeddings"]["1536"].get(arr) || arr.size() != records) {
        std::fprintf(stderr, "bench_simdjson: wrong record count\n");
        return 1;
    }
    std::printf("json parse: simdjson %d.%d.%d %.0f MB/s (reference, C++, same bytes, parser buffers reused)\n",
                int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR),
                int(simdjson::SIMDJSON_VERSION_REVISION), (double)text.size() / 1e6 / best);
    return 0;
}
