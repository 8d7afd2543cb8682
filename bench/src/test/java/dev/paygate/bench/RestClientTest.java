package dev.paygate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.paygate.devstack.credentials.DevCredentials;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's REST driver against a real HTTP/2 server over TLS (Netty, ALPN h2, a
 * certificate from the local CA): what it sends, and how each kind of answer becomes a Reply.
 */
class RestClientTest {

    private static final String CREATE_BODY = "{\"amount\":{\"currencyCode\":\"EUR\",\"units\":\"7\"},"
            + "\"merchantId\":\"bench\",\"merchantCategoryCode\":\"5411\"}";

    @TempDir
    Path runDir;

    private Server server;
    private RestClient client;

    @BeforeEach
    void start() throws InterruptedException {
        DevCredentials credentials = DevCredentials.ensure(runDir);
        server = new Server(credentials);
        client = new RestClient(server.port, credentials.caCertificate(), "Bearer writer");
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void getAccount_sendsAGetWithTheCallersBearer_andAnswersOk() {
        Reply reply = client.getAccount("accounts/a", "Bearer reader").join();

        assertThat(reply.code()).isEqualTo(Reply.OK);
        Http2Headers request = server.requests.get("/v1/accounts/a");
        assertThat(request.method().toString()).isEqualTo("GET");
        assertThat(request.scheme().toString()).isEqualTo("https");
        assertThat(request.authority().toString()).isEqualTo("localhost:" + server.port);
        assertThat(request.get("authorization").toString()).isEqualTo("Bearer reader");
        assertThat(request.contains("idempotency-key")).isFalse();
    }

    @Test
    void createAuthorization_postsTheJsonWithItsKey_andReadsTheCreatedAuthorization() {
        Reply reply = client.createAuthorization("accounts/a", 7, "key-1").join();

        assertThat(reply).isEqualTo(new Reply(Reply.OK, "accounts/a/authorizations/1", true));
        Http2Headers request = server.requests.get("/v1/accounts/a/authorizations");
        assertThat(request.method().toString()).isEqualTo("POST");
        assertThat(request.get("authorization").toString()).isEqualTo("Bearer writer");
        assertThat(request.get("content-type").toString()).isEqualTo("application/json");
        assertThat(request.get("idempotency-key").toString()).isEqualTo("key-1");
        assertThat(request.get("content-length").toString()).isEqualTo(Integer.toString(CREATE_BODY.length()));
        assertThat(server.bodies.get("/v1/accounts/a/authorizations")).isEqualTo(CREATE_BODY);
    }

    @Test
    void createAuthorization_declined_isOkButNotApproved() {
        Reply reply = client.createAuthorization("accounts/declined", 7, "key-2").join();

        assertThat(reply).isEqualTo(new Reply(Reply.OK, "accounts/declined/authorizations/1", false));
    }

    @Test
    void captureAndVoid_postAnEmptyObjectWithTheirKey() {
        assertThat(client.capture("accounts/a/authorizations/1", "key-3").join().code()).isEqualTo(Reply.OK);
        assertThat(client.voidAuthorization("accounts/a/authorizations/2", "key-4").join().code()).isEqualTo(Reply.OK);

        assertThat(server.bodies.get("/v1/accounts/a/authorizations/1:capture")).isEqualTo("{}");
        assertThat(server.requests.get("/v1/accounts/a/authorizations/1:capture").get("idempotency-key").toString())
                .isEqualTo("key-3");
        assertThat(server.bodies.get("/v1/accounts/a/authorizations/2:void")).isEqualTo("{}");
    }

    @Test
    void aStatusOtherThan200_isHttpAndTheStatus() {
        assertThat(client.getAccount("accounts/missing", "Bearer reader").join().code()).isEqualTo("HTTP_404");
        assertThat(client.createAuthorization("accounts/missing", 7, "key-5").join().code()).isEqualTo("HTTP_404");
    }

    @Test
    void aCreatedAuthorizationThatIsNotJson_isBadJson() {
        assertThat(client.createAuthorization("accounts/garbled", 7, "key-6").join().code()).isEqualTo("BAD_JSON");
    }

    @Test
    void aStreamResetByTheServer_isAClientFailureNamingTheError() {
        assertThat(client.getAccount("accounts/reset", "Bearer reader").join().code())
                .isEqualTo("CLIENT_RST_STREAM_REFUSED_STREAM");
    }

    @Test
    void noAnswerWithinTheDeadline_isClientTimeout_andTheStreamIsReset() {
        long start = System.nanoTime();

        Reply reply = client.getAccount("accounts/silent", "Bearer reader").join();

        assertThat(reply.code()).isEqualTo("CLIENT_TIMEOUT");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(
                Duration.ofSeconds(Deadlines.READ_SECONDS).minusMillis(50));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.resets.contains("/v1/accounts/silent"));
    }

    @Test
    void afterTheServerClosesTheConnection_callsGoOnOverANewOne() {
        assertThat(client.getAccount("accounts/a", "Bearer reader").join().code()).isEqualTo(Reply.OK);

        server.closeConnections();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.getAccount("accounts/a", "Bearer reader").join().isOk());
        assertThat(server.connections).hasSize(2);
    }

    /** An HTTP/2 server over TLS on localhost that answers each path the way a test needs. */
    private static final class Server implements AutoCloseable {

        final Map<String, Http2Headers> requests = new ConcurrentHashMap<>();
        final Map<String, String> bodies = new ConcurrentHashMap<>();
        final List<String> resets = new CopyOnWriteArrayList<>();
        final List<Channel> connections = new CopyOnWriteArrayList<>();
        final int port;
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel listening;

        Server(DevCredentials credentials) throws InterruptedException {
            SslContext tls;
            try {
                tls = SslContextBuilder.forServer(credentials.serverCertificate().toFile(),
                                credentials.serverKey().toFile())
                        .applicationProtocolConfig(new ApplicationProtocolConfig(
                                ApplicationProtocolConfig.Protocol.ALPN,
                                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                ApplicationProtocolNames.HTTP_2))
                        .build();
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalStateException(e);
            }
            listening = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            connections.add(channel);
                            channel.pipeline().addLast(tls.newHandler(channel.alloc()),
                                    Http2FrameCodecBuilder.forServer().build(),
                                    new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                        @Override
                                        protected void initChannel(Http2StreamChannel stream) {
                                            stream.pipeline().addLast(new Responder());
                                        }
                                    }));
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            port = ((java.net.InetSocketAddress) listening.localAddress()).getPort();
        }

        void closeConnections() {
            connections.forEach(Channel::close);
        }

        @Override
        public void close() {
            listening.close().syncUninterruptibly();
            closeConnections();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }

        /** One request stream: collects it, then answers by path once the request has ended. */
        private final class Responder extends ChannelInboundHandlerAdapter {

            private Http2Headers headers;
            private final ByteArrayOutputStream body = new ByteArrayOutputStream();

            @Override
            public void channelRead(ChannelHandlerContext context, Object message) {
                try {
                    boolean ended = false;
                    if (message instanceof Http2HeadersFrame frame) {
                        headers = frame.headers();
                        ended = frame.isEndStream();
                    } else if (message instanceof Http2DataFrame frame) {
                        body.writeBytes(ByteBufUtil.getBytes(frame.content()));
                        ended = frame.isEndStream();
                    }
                    if (ended) {
                        String path = headers.path().toString();
                        requests.put(path, headers);
                        bodies.put(path, body.toString(StandardCharsets.UTF_8));
                        answer(context, path);
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext context, Object event) {
                if (event instanceof Http2ResetFrame && headers != null) {
                    resets.add(headers.path().toString());
                }
                ReferenceCountUtil.release(event);
            }

            private void answer(ChannelHandlerContext context, String path) {
                String account = path.substring("/v1/accounts/".length()).split("[/:]")[0];
                switch (account) {
                    case "silent" -> {
                    }
                    case "reset" -> context.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
                    case "missing" -> respond(context, "404", "{\"code\":5}");
                    case "garbled" -> respond(context, "200", "not json");
                    case "declined" -> respond(context, "200",
                            "{\"name\":\"accounts/declined/authorizations/1\",\"state\":\"DECLINED\"}");
                    default -> respond(context, "200", path.endsWith("/authorizations")
                            ? "{\"name\":\"accounts/a/authorizations/1\",\"state\":\"APPROVED\"}"
                            : "{\"name\":\"" + path.substring("/v1/".length()) + "\"}");
                }
            }

            /** As Envoy's transcoder answers: headers, the body in two DATA frames, then trailers. */
            private void respond(ChannelHandlerContext context, String status, String json) {
                byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
                int half = bytes.length / 2;
                context.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status(status)
                        .add("content-type", "application/json")));
                context.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(bytes, 0, half), false));
                context.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(bytes, half, bytes.length - half),
                        false));
                context.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("grpc-status", "0"),
                        true));
            }
        }
    }
}
