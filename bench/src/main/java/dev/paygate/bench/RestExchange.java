package dev.paygate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/**
 * One call of {@link RestClient} on its own stream: sends the request, reads the status and (for
 * a created authorization) the body, and completes the reply once: at the end of the stream, on a
 * reset, a failure or the deadline. Runs on the connection's event loop.
 */
final class RestExchange extends ChannelInboundHandlerAdapter {

    private static final ObjectMapper JSON = new ObjectMapper();

    final CompletableFuture<Reply> reply = new CompletableFuture<>();
    private final boolean created;
    private Http2StreamChannel stream;
    private int status;
    private CompositeByteBuf body;

    RestExchange(boolean created) {
        this.created = created;
    }

    void start(Http2StreamChannel stream, Http2HeadersFrame headers, Http2DataFrame data) {
        if (reply.isDone()) {  // the deadline passed while the stream was being opened
            stream.close();
            return;
        }
        this.stream = stream;
        stream.pipeline().addLast(this);
        stream.write(headers).addListener(written -> {
            if (!written.isSuccess()) {
                fail(written.cause());
            }
        });
        if (data != null) {
            stream.write(data);
        }
        stream.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        try {
            if (message instanceof Http2HeadersFrame headers) {
                if (status == 0) {
                    status = AsciiString.of(headers.headers().status()).parseInt();
                }
                if (headers.isEndStream()) {
                    finish();
                }
            } else if (message instanceof Http2DataFrame data) {
                if (created && status == 200) {
                    if (body == null) {
                        body = context.alloc().compositeBuffer();
                    }
                    body.addComponent(true, data.content().retain());
                }
                if (data.isEndStream()) {
                    finish();
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    /** Netty hands RST_STREAM to the stream as an event, not a read. */
    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (event instanceof Http2ResetFrame reset) {
            Http2Error error = Http2Error.valueOf(reset.errorCode());
            complete(Reply.failed("CLIENT_RST_STREAM_" + (error != null ? error.name() : reset.errorCode())));
        }
        ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        complete(Reply.failed("CLIENT_STREAM_CLOSED"));  // no-op once replied
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        fail(cause);
        context.close();
    }

    void fail(Throwable cause) {
        complete(Reply.failed("CLIENT_" + cause.getClass().getSimpleName()));
    }

    /** The deadline: the call fails, and its stream is reset (RST_STREAM CANCEL) so Envoy stops too. */
    void timeOut() {
        if (complete(Reply.failed("CLIENT_TIMEOUT")) && stream != null) {
            stream.close();
        }
    }

    private void finish() {
        if (status != 200) {
            complete(Reply.failed("HTTP_" + status));
        } else if (!created) {
            complete(Reply.ok());
        } else {
            complete(parseCreated());
        }
    }

    private Reply parseCreated() {
        if (body == null) {
            return Reply.failed("BAD_JSON");
        }
        try (InputStream in = new ByteBufInputStream(body)) {
            JsonNode authorization = JSON.readTree(in);
            return new Reply(Reply.OK, authorization.path("name").asText(),
                    "APPROVED".equals(authorization.path("state").asText()));
        } catch (IOException e) {
            return Reply.failed("BAD_JSON");
        }
    }

    private boolean complete(Reply outcome) {
        if (body != null) {
            body.release();
            body = null;
        }
        return reply.complete(outcome);
    }
}
