package dev.paygate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.testing.TestTokens;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import org.junit.jupiter.api.Test;

/** Remembering verified tokens never stretches what a token allows. */
class TokenVerifierTest {

    /** Real time, moved forward by the test. */
    private static final class MovingClock extends Clock {
        private volatile Duration ahead = Duration.ZERO;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(ahead);
        }
    }

    private final MovingClock clock = new MovingClock();
    private final TokenVerifier verifier = new TokenVerifier(properties(), clock);

    private static AuthProperties properties() {
        return new AuthProperties(TestTokens.jwksFile(), "paygate-dev", "paygate", Duration.ofHours(24));
    }

    @Test
    void rememberedToken_isRefusedOnceItExpires() {
        String token = TestTokens.sign(TestTokens.claims("short-lived", TestTokens.READ)
                .expirationTime(Date.from(Instant.now().plusSeconds(10))).build());
        assertThat(verifier.verify(token).subject()).isEqualTo("short-lived");

        clock.ahead = Duration.ofSeconds(10 + TokenVerifier.CLOCK_SKEW_SECONDS + 1);
        ApiException e = catchThrowableOfType(ApiException.class, () -> verifier.verify(token));

        assertThat(e.reason()).isEqualTo(ErrorReason.TOKEN_INVALID);
    }

    @Test
    void rememberedToken_isCheckedAgainAfterTheRememberPeriod() {
        String token = TestTokens.token("long-lived", TestTokens.WRITE);
        Caller first = verifier.verify(token);

        clock.ahead = TokenVerifier.REMEMBER.plusSeconds(1);

        assertThat(verifier.verify(token)).isEqualTo(first);
    }

    @Test
    void tamperedCopyOfARememberedToken_isStillRefused() {
        String token = TestTokens.token("mallory", TestTokens.READ);
        verifier.verify(token);

        ApiException e = catchThrowableOfType(ApiException.class, () -> verifier.verify(tampered(token)));

        assertThat(e.reason()).isEqualTo(ErrorReason.TOKEN_INVALID);
    }

    /**
     * The token with one signature character changed well inside the signature: the last
     * characters of a base64url signature carry padding bits a decoder may ignore, and a fixed
     * replacement can equal what was there.
     */
    private static String tampered(String token) {
        int at = token.length() - 10;
        char replacement = token.charAt(at) == 'A' ? 'B' : 'A';
        return token.substring(0, at) + replacement + token.substring(at + 1);
    }
}
