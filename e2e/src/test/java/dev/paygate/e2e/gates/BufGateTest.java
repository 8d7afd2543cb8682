package dev.paygate.e2e.gates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract gates: proto/ passes buf lint (STANDARD with the exceptions buf.yaml explains) and
 * has no breaking change against the released paygate.v1 baseline (WIRE_JSON plus no deleted
 * services or rpcs). The gate itself is tested too: a careless change in a scratch copy is caught.
 */
@Tag("static")
class BufGateTest {

    private final Buf buf = new Buf();

    @Test
    void contract_passesLint() {
        Buf.Result lint = buf.lint(buf.repositoryWorkspace());

        assertThat(lint.output()).isEmpty();
        assertThat(lint.exitCode()).isZero();
    }

    @Test
    void contract_hasNoBreakingChangeAgainstTheReleasedBaseline() {
        Buf.Result breaking = buf.breaking(buf.repositoryWorkspace());

        assertThat(breaking.output()).isEmpty();
        assertThat(breaking.exitCode()).isZero();
    }

    @Test
    void renumberedField_isCaught(@TempDir Path scratch) throws IOException {
        Path workspace = buf.scratchCopy(scratch);
        edit(workspace, "authorization.proto", s -> replaceOnce(s, "string merchant_id = 3 [", "string merchant_id = 30 ["));

        Buf.Result breaking = buf.breaking(workspace);

        assertThat(breaking.exitCode()).isNotZero();
        assertThat(breaking.rules()).contains("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
    }

    @Test
    void renamedJsonVisibleField_isCaught(@TempDir Path scratch) throws IOException {
        Path workspace = buf.scratchCopy(scratch);
        // Same number, so the binary wire is unchanged: only REST clients would notice.
        edit(workspace, "account.proto", s -> replaceOnce(s, "string display_name = 8 [", "string nickname = 8 ["));

        Buf.Result breaking = buf.breaking(workspace);

        assertThat(breaking.exitCode()).isNotZero();
        assertThat(breaking.rules()).contains("FIELD_SAME_JSON_NAME");
    }

    @Test
    void removedRpc_isCaught(@TempDir Path scratch) throws IOException {
        Path workspace = buf.scratchCopy(scratch);
        edit(workspace, "authorization_service.proto", s -> {
            int start = s.indexOf("  // Voids an APPROVED authorization");
            int end = s.indexOf("\n  }\n", s.indexOf("rpc VoidAuthorization")) + "\n  }\n".length();
            assertThat(start).isPositive();
            return s.substring(0, start) + s.substring(end);
        });

        Buf.Result breaking = buf.breaking(workspace);

        assertThat(breaking.exitCode()).isNotZero();
        assertThat(breaking.rules()).containsExactly("RPC_NO_DELETE");
    }

    @Test
    void lintViolation_isCaught(@TempDir Path scratch) throws IOException {
        Path workspace = buf.scratchCopy(scratch);
        // A new enum without the _UNSPECIFIED zero value: none of buf.yaml's exceptions covers it.
        edit(workspace, "account.proto", s -> s + "\n// Colours.\nenum Colour {\n  // Red.\n  RED = 0;\n}\n");

        Buf.Result lint = buf.lint(workspace);

        assertThat(lint.exitCode()).isNotZero();
        assertThat(lint.rules()).contains("ENUM_ZERO_VALUE_SUFFIX");
    }

    private static void edit(Path workspace, String file, UnaryOperator<String> change) throws IOException {
        Path proto = workspace.resolve(Buf.CONTRACT).resolve("paygate/v1").resolve(file);
        String before = Files.readString(proto);
        String after = change.apply(before);
        assertThat(after).as("the edit must change %s", file).isNotEqualTo(before);
        Files.writeString(proto, after);
    }

    private static String replaceOnce(String text, String from, String to) {
        assertThat(text).contains(from);
        return text.replace(from, to);
    }
}
