package dev.paygate.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An attacker without a token: plain TCP connections from one source address that never send a
 * byte (no TLS ClientHello), held open, and reopened when the server closes them, at most
 * {@code reopensPerSecond}. One thread, one selector.
 */
final class IdleConnectionFlood implements AutoCloseable {

    private final InetSocketAddress source;
    private final InetSocketAddress target;
    private final int connections;
    private final int reopensPerSecond;
    private final Selector selector;
    private final Thread thread;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final AtomicLong refusedAtConnect = new AtomicLong();
    private volatile boolean running = true;

    private IdleConnectionFlood(String sourceAddress, int port, int connections, int reopensPerSecond) throws IOException {
        this.source = new InetSocketAddress(sourceAddress, 0);
        this.target = new InetSocketAddress("127.0.0.1", port);
        this.connections = connections;
        this.reopensPerSecond = reopensPerSecond;
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "idle-connection-flood");
        this.thread.setDaemon(true);
    }

    static IdleConnectionFlood start(String sourceAddress, int port, int connections, int reopensPerSecond) {
        try {
            IdleConnectionFlood flood = new IdleConnectionFlood(sourceAddress, port, connections, reopensPerSecond);
            flood.thread.start();
            return flood;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connections whose TCP handshake completed and that the server has not closed. */
    int open() {
        return open.get();
    }

    long attempts() {
        return attempts.get();
    }

    long closedByServer() {
        return closedByServer.get();
    }

    long refusedAtConnect() {
        return refusedAtConnect.get();
    }

    private void run() {
        int pending = 0;
        long budgetSince = System.nanoTime();
        int reopenedInWindow = 0;
        try {
            while (running) {
                // First the full flood at once; afterwards refill what the server closed, rate-limited.
                long now = System.nanoTime();
                if (now - budgetSince >= Duration.ofSeconds(1).toNanos()) {
                    budgetSince = now;
                    reopenedInWindow = 0;
                }
                boolean initial = attempts.get() < connections;
                while (open.get() + pending < connections && (initial ? attempts.get() < connections
                        : reopenedInWindow < reopensPerSecond)) {
                    if (connect()) {
                        pending++;
                    }
                    if (!initial) {
                        reopenedInWindow++;
                    }
                }
                selector.select(50);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel channel = (SocketChannel) key.channel();
                    if (key.isConnectable()) {
                        pending--;
                        try {
                            channel.finishConnect();
                            open.incrementAndGet();
                            key.interestOps(SelectionKey.OP_READ);
                        } catch (IOException refused) {
                            refusedAtConnect.incrementAndGet();
                            key.cancel();
                            channel.close();
                        }
                    } else if (key.isReadable()) {
                        int read;
                        try {
                            read = channel.read(ByteBuffer.allocate(64));
                        } catch (IOException reset) {
                            read = -1;
                        }
                        if (read < 0) {
                            closedByServer.incrementAndGet();
                            open.decrementAndGet();
                            key.cancel();
                            channel.close();
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens one connection; true while its TCP handshake is still under way. */
    private boolean connect() throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.bind(source);
        attempts.incrementAndGet();
        if (channel.connect(target)) {
            open.incrementAndGet();
            channel.register(selector, SelectionKey.OP_READ);
            return false;
        }
        channel.register(selector, SelectionKey.OP_CONNECT);
        return true;
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
