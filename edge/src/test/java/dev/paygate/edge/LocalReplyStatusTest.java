package dev.paygate.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The grpc-status-details-bin values in envoy.yaml's local_reply_config are serialized
 * google.rpc.Status messages written by hand: each must decode, agree with its mapper's
 * grpc-status and grpc-message, and say what a REST mapper's JSON body says.
 */
@Tag("static")
class LocalReplyStatusTest {

    @Test
    void everyGrpcStatusDetailsBin_decodes_andMatchesItsGrpcReplyAndARestBody() throws Exception {
        List<Map<String, Object>> mappers = mappers();
        List<Map<String, Object>> restBodies = mappers.stream().map(m -> at(m, "body_format_override", "json_format"))
                .filter(body -> body != null).toList();
        int checked = 0;
        for (Map<String, Object> mapper : mappers) {
            String detailsBin = header(mapper, "grpc-status-details-bin");
            if (detailsBin == null) {
                continue;
            }
            Status status = Status.parseFrom(Base64.getDecoder().decode(detailsBin));

            assertThat(status.getCode()).as("grpc-status of %s", status).isEqualTo(Integer.parseInt(header(mapper, "grpc-status")));
            assertThat(status.getMessage()).isEqualTo(at(mapper, "body_format_override", "text_format_source").get("inline_string"));
            assertThat(restBodies).as("a REST body saying the same as %s", status).anySatisfy(body -> {
                assertThat(body.get("code")).isEqualTo(status.getCode());
                assertThat(body.get("message")).isEqualTo(status.getMessage());
                assertThat(details(body)).isEqualTo(details(status));
            });
            checked++;
        }
        assertThat(checked).as("mappers with grpc-status-details-bin").isGreaterThanOrEqualTo(3);
    }

    /** Each detail as "type: fields", from a JSON body. */
    private static List<String> details(Map<String, Object> body) {
        List<String> details = new ArrayList<>();
        for (Object item : (List<?>) body.get("details")) {
            Map<?, ?> detail = (Map<?, ?>) item;
            String type = String.valueOf(detail.get("@type"));
            details.add(type.endsWith("ErrorInfo") ? "ErrorInfo: " + detail.get("reason") + " " + detail.get("domain")
                    : "RetryInfo: " + detail.get("retryDelay"));
        }
        return details;
    }

    /** The same, from a google.rpc.Status. */
    private static List<String> details(Status status) throws Exception {
        List<String> details = new ArrayList<>();
        for (Any any : status.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                ErrorInfo info = any.unpack(ErrorInfo.class);
                details.add("ErrorInfo: " + info.getReason() + " " + info.getDomain());
            } else {
                RetryInfo retry = any.unpack(RetryInfo.class);
                details.add("RetryInfo: " + retry.getRetryDelay().getSeconds() + "s");
            }
        }
        return details;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> mappers() {
        Map<String, Object> manager = EnvoyConfig.load(Repository.locate().envoyYaml()).connectionManager();
        return (List<Map<String, Object>>) at(manager, "local_reply_config").get("mappers");
    }

    @SuppressWarnings("unchecked")
    private static String header(Map<String, Object> mapper, String name) {
        Object headers = mapper.get("headers_to_add");
        if (headers == null) {
            return null;
        }
        for (Map<String, Object> option : (List<Map<String, Object>>) headers) {
            Map<String, Object> header = (Map<String, Object>) option.get("header");
            if (name.equals(header.get("key"))) {
                return String.valueOf(header.get("value"));
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> owner, String... keys) {
        Map<String, Object> node = owner;
        for (String key : keys) {
            node = node == null ? null : (Map<String, Object>) node.get(key);
        }
        return node;
    }
}
