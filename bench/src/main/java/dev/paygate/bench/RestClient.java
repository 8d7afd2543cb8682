package dev.paygate.bench;

import dev.paygate.devstack.credentials.EdgeTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

/**
 * REST/JSON calls through an edge over one TLS connection with HTTP/2 (ALPN h2, which Envoy offers),
 * a stream per call, on Netty's HTTP/2 codec and one event-loop thread: the stack the gRPC driver
 * runs on (grpc-netty), with the same TLS provider ({@link EdgeTls#http2Client}), so that REST and
 * gRPC figures pay the same for the client. java.net.http, which this replaces, cost several times
 * the gRPC driver's CPU per call (docs/operations.md), CPU taken from the edge and the service.
 * Not HTTP/1.1: that needs a connection per outstanding call.
 */
final class RestClient implements PaygateClient {

    private static final AsciiString AUTHORIZATION = AsciiString.cached("authorization");
    private static final AsciiString CONTENT_TYPE = AsciiString.cached("content-type");
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
    private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
    private static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    /** One thread: one connection, whose streams all run on its event loop. */
    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    private final int port;
    private final AsciiString authority;
    private final String bearer;
    private volatile Future<Connection> connection;

    /** An HTTP/2 connection and the way to open streams on it. */
    private record Connection(Channel channel, Http2Connection http2, Http2StreamChannelBootstrap streams) {

        /** False once it closed or the edge sent GOAWAY (a drain, say): new streams go on a new connection. */
        boolean usable() {
            return channel.isActive() && !http2.goAwayReceived();
        }
    }

    /** Connects to the edge on localhost:{@code port} (TLS, trusting only this CA) and waits for h2. */
    RestClient(int port, Path caCertificate, String bearer) {
        SslContext tls = EdgeTls.http2Client(caCertificate);
        this.port = port;
        this.authority = AsciiString.of("localhost:" + port);
        this.bearer = bearer;
        this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(
                                tls.newHandler(channel.alloc(), "localhost", port),
                                // Streams started in the same turn of the event loop go out in one flush
                                // (one write), as grpc-netty's WriteQueue flushes its queued writes as one unit.
                                new FlushConsolidationHandler(
                                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true),
                                // Streams beyond the edge's max_concurrent_streams wait here instead of failing.
                                Http2FrameCodecBuilder.forClient().encoderEnforceMaxConcurrentStreams(true).build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                });
        this.connection = connect();
        try {
            connection.syncUninterruptibly();
        } catch (RuntimeException e) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot reach the edge over h2 on port " + port, e);
        }
    }

    @Override
    public CompletableFuture<Reply> getAccount(String account, String callBearer) {
        return send(HttpMethod.GET, account, callBearer, null, null, Deadlines.READ_SECONDS, false);
    }

    @Override
    public CompletableFuture<Reply> createAuthorization(String account, long units, String idempotencyKey) {
        String body = "{\"amount\":{\"currencyCode\":\"EUR\",\"units\":\"" + units + "\"},"
                + "\"merchantId\":\"bench\",\"merchantCategoryCode\":\"5411\"}";
        return send(HttpMethod.POST, account + "/authorizations", bearer, idempotencyKey, body, Deadlines.WRITE_SECONDS,
                true);
    }

    @Override
    public CompletableFuture<Reply> capture(String authorization, String idempotencyKey) {
        return send(HttpMethod.POST, authorization + ":capture", bearer, idempotencyKey, "{}", Deadlines.WRITE_SECONDS,
                false);
    }

    @Override
    public CompletableFuture<Reply> voidAuthorization(String authorization, String idempotencyKey) {
        return send(HttpMethod.POST, authorization + ":void", bearer, idempotencyKey, "{}", Deadlines.WRITE_SECONDS,
                false);
    }

    private CompletableFuture<Reply> send(HttpMethod method, String path, String callBearer, String idempotencyKey,
                                          String body, int deadlineSeconds, boolean created) {
        Http2Headers headers = new DefaultHttp2Headers()
                .method(method.asciiName()).scheme(HTTPS).authority(authority).path("/v1/" + path)
                .add(AUTHORIZATION, callBearer);
        byte[] content = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        if (content != null) {
            headers.add(CONTENT_TYPE, APPLICATION_JSON)
                    .add(CONTENT_LENGTH, AsciiString.of(Integer.toString(content.length)))
                    .add(IDEMPOTENCY_KEY, idempotencyKey);
        }
        RestExchange exchange = new RestExchange(created);
        // The deadline runs from the call, connecting and waiting for a stream included.
        var timer = loop.schedule(exchange::timeOut, deadlineSeconds, TimeUnit.SECONDS);
        exchange.reply.whenComplete((reply, failure) -> timer.cancel(false));
        connection().addListener(connected -> {
            if (!connected.isSuccess()) {
                exchange.fail(connected.cause());
                return;
            }
            ((Connection) connected.getNow()).streams().open().addListener(opened -> {
                if (!opened.isSuccess()) {
                    exchange.fail(opened.cause());
                    return;
                }
                Http2StreamChannel stream = (Http2StreamChannel) opened.getNow();
                exchange.start(stream, new DefaultHttp2HeadersFrame(headers, content == null),
                        content == null ? null : new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(content), true));
            });
        });
        return exchange.reply;
    }

    /** The open connection, or a new one if the last closed, failed or was told to go away. */
    private Future<Connection> connection() {
        Future<Connection> current = connection;
        if (!current.isDone() || current.isSuccess() && current.getNow().usable()) {
            return current;
        }
        synchronized (this) {
            if (connection == current) {
                connection = connect();
            }
            return connection;
        }
    }

    private Future<Connection> connect() {
        Promise<Connection> ready = loop.next().newPromise();
        bootstrap.connect("localhost", port).addListener(connected -> {
            if (!connected.isSuccess()) {
                ready.setFailure(connected.cause());
                return;
            }
            Channel channel = ((io.netty.channel.ChannelFuture) connected).channel();
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            tls.handshakeFuture().addListener(handshake -> {
                if (!handshake.isSuccess()) {
                    ready.setFailure(handshake.cause());
                } else if (!ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol())) {
                    channel.close();
                    ready.setFailure(new SSLHandshakeException("the edge did not negotiate h2 but "
                            + tls.applicationProtocol()));
                } else {
                    ready.setSuccess(new Connection(channel, channel.pipeline().get(Http2FrameCodec.class).connection(),
                            new Http2StreamChannelBootstrap(channel)));
                }
            });
        });
        return ready;
    }

    /**
     * The edge's http2 max_concurrent_streams (envoy.yaml): more calls would only wait in the
     * codec's queue. The open loop holds them back itself, and the wait counts in their latency.
     */
    @Override
    public int maxInFlight() {
        return 100;
    }

    @Override
    public void close() {
        Future<Connection> current = connection;
        if (current.isSuccess()) {
            current.getNow().channel().close().syncUninterruptibly();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
