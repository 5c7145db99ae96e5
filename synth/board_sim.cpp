// Pin-level harness of the layer board (synth/board_sim.py builds it with Verilator around
// synth.layer_board.LayerBoard, Verilog module "wcc_board"): the host's bytes, read from stdin,
// are put on `rx` as 8N1 characters at the UART's bit timing (DIVISOR clock cycles a bit,
// argv[1]); `tx` is sampled in the middle of each bit and every character decoded is written
// to stdout. The file descriptor argv[2] (optional) carries controls: each byte 'B' asks for a
// break (rx low for two character times, then high for one), sent once the bytes read before
// it have left. The harness
// runs until stdin closes and the last byte is on the line, then reports the cycles on stderr.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "Vwcc_board.h"
#include "verilated.h"

namespace {

constexpr uint64_t kPollEvery = 256;  // cycles between looks at the pipes

void write_all(int fd, const std::vector<uint8_t>& buf) {
    size_t done = 0;
    while (done < buf.size()) {
        ssize_t n = write(fd, buf.data() + done, buf.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                poll(&p, 1, 100);
                continue;
            }
            std::exit(0);  // the host is gone
        }
        done += static_cast<size_t>(n);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIVISOR [CONTROL_FD]\n", argv[0]);
        return 2;
    }
    const int divisor = std::atoi(argv[1]);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vwcc_board>(ctx.get());
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    const int ctl_fd = argc > 2 ? std::atoi(argv[2]) : -1;
    bool ctl_open = ctl_fd >= 0 && fcntl(ctl_fd, F_GETFD) != -1;
    if (ctl_open) fcntl(ctl_fd, F_SETFL, fcntl(ctl_fd, F_GETFL) | O_NONBLOCK);

    std::deque<int> line;  // queued line levels, one entry per bit time
    std::vector<uint8_t> out;
    bool eof = false;
    int breaks = 0;
    int rx_timer = 0;
    // tx decoder: 0 idle, 1 sampling data bits, 2 waiting for the stop bit
    int tx_state = 0, tx_timer = 0, tx_bit = 0;
    unsigned tx_byte = 0;
    uint64_t cycle = 0, bytes_in = 0, bytes_out = 0, framing = 0;
    auto t0 = std::chrono::steady_clock::now();

    auto tick = [&]() {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        ++cycle;
    };
    top->rx = 1;
    top->rst = 1;
    top->clk = 0;
    top->eval();
    for (int i = 0; i < 8; ++i) tick();
    top->rst = 0;

    uint8_t buf[65536];
    while (true) {
        if (cycle % kPollEvery == 0) {
            if (ctl_open) {
                ssize_t n = read(ctl_fd, buf, sizeof buf);
                if (n > 0) {
                    for (ssize_t i = 0; i < n; ++i) breaks += buf[i] == 'B';
                } else if (n == 0) {
                    ctl_open = false;
                }
            }
            if (!eof && !breaks && line.size() < 64 * 10) {
                ssize_t n = read(0, buf, 4096);
                if (n > 0) {
                    for (ssize_t i = 0; i < n; ++i) {
                        line.push_back(0);  // start bit
                        for (int b = 0; b < 8; ++b) line.push_back((buf[i] >> b) & 1);
                        line.push_back(1);  // stop bit
                    }
                    bytes_in += static_cast<uint64_t>(n);
                } else if (n == 0) {
                    eof = true;
                }
            }
            if (breaks && line.empty()) {
                for (int i = 0; i < 20; ++i) line.push_back(0);
                for (int i = 0; i < 10; ++i) line.push_back(1);
                --breaks;
            }
            if (!out.empty()) {
                write_all(1, out);
                out.clear();
            }
            if (eof && line.empty() && rx_timer == 0 && tx_state == 0) break;
        }
        // rx: a new bit every `divisor` cycles while bits are queued.
        if (rx_timer == 0 && !line.empty()) {
            top->rx = line.front();
            line.pop_front();
            rx_timer = divisor;
        }
        if (rx_timer > 0) --rx_timer;
        if (rx_timer == 0 && line.empty()) top->rx = 1;
        tick();
        // tx: find the start bit's falling edge, sample each bit in its middle.
        const int tx = top->tx;
        switch (tx_state) {
            case 0:
                if (!tx) {
                    tx_state = 1;
                    tx_timer = divisor + divisor / 2 - 1;
                    tx_bit = 0;
                    tx_byte = 0;
                }
                break;
            case 1:
                if (tx_timer-- == 0) {
                    tx_byte |= static_cast<unsigned>(tx) << tx_bit;
                    tx_timer = divisor - 1;
                    if (++tx_bit == 8) tx_state = 2;
                }
                break;
            default:
                if (tx_timer-- == 0) {
                    if (tx) {
                        out.push_back(static_cast<uint8_t>(tx_byte));
                        ++bytes_out;
                    } else {
                        ++framing;
                    }
                    tx_state = 0;
                }
                break;
        }
    }
    write_all(1, out);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr,
                 "board_sim: %llu cycles in %.1f s (%.0f cycles/s); %llu bytes in, %llu out, "
                 "%llu framing errors on tx\n",
                 static_cast<unsigned long long>(cycle), secs, cycle / secs,
                 static_cast<unsigned long long>(bytes_in),
                 static_cast<unsigned long long>(bytes_out),
                 static_cast<unsigned long long>(framing));
    top->final();
    return 0;
}
