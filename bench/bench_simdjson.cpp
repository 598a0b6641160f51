// bench_simdjson.cpp - simdjson's DOM parse of the bench_json document, for reference only.
//
//   c++ -std=c++17 -O2 -DNDEBUG bench/bench_simdjson.cpp -o build/bench_simdjson -lsimdjson
//   build/bench_simdjson <file> <records> <runs>     (run by build/bench_json on its file)
//
// Parses the same bytes (loaded once, padded as simdjson requires) best of <runs>, checks the
// record count, and prints one line in bench_json's format.
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_simdjson <file> <records> <runs>\n");
        return 2;
    }
    const size_t records = std::strtoull(argv[2], nullptr, 10);
    const int runs = std::atoi(argv[3]);
    simdjson::padded_string text;
    if (simdjson::padded_string::load(argv[1]).get(text)) {
        std::fprintf(stderr, "bench_simdjson: cannot load %s\n", argv[1]);
        return 1;
    }
    simdjson::dom::parser parser;
    if (parser.allocate(text.size())) {
        std::fprintf(stderr, "bench_simdjson: cannot allocate\n");
        return 1;
    }
    double best = 1e9;
    for (int i = 0; i < runs; i++) {
        auto t0 = std::chrono::steady_clock::now();
        simdjson::dom::element doc;
        if (parser.parse(text).get(doc)) {
            std::fprintf(stderr, "bench_simdjson: parse failed\n");
            return 1;
        }
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        simdjson::dom::array arr;
        if (doc["data"]["vector_embeddings"]["1536"].get(arr) || arr.size() != records) {
            std::fprintf(stderr, "bench_simdjson: wrong record count\n");
            return 1;
        }
        if (dt < best) best = dt;
    }
    std::printf("json parse: simdjson %d.%d.%d %.0f MB/s (reference, C++, same bytes, parser buffers reused)\n",
                int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR),
                int(simdjson::SIMDJSON_VERSION_REVISION), (double)text.size() / 1e6 / best);
    return 0;
}
