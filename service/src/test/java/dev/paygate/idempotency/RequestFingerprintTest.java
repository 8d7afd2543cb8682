package dev.paygate.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnknownFieldSet;
import com.google.type.Money;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAuthorizationRequest;
import org.junit.jupiter.api.Test;

/** The fingerprint that decides "same request" for an idempotency key, across builds and clients. */
class RequestFingerprintTest {

    private static final CreateAuthorizationRequest REQUEST = CreateAuthorizationRequest.newBuilder()
            .setParent("accounts/6f1c2a3b-0000-4000-8000-000000000001")
            .setAuthorization(Authorization.newBuilder()
                    .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(12).setNanos(340_000_000))
                    .setMerchantId("shop-1")
                    .setMerchantCategoryCode("5411"))
            .setRequestId("0b7e6c9e-5d0a-4a9e-9f55-3c1f6f0e2a11")
            .build();

    @Test
    void fingerprint_isTheOneFixedHere_soEveryBuildComputesTheSame() {
        // Changing this value breaks every stored key's replay after a deploy: don't, unless the
        // service also accepts the old fingerprint for the retention window.
        assertThat(RequestFingerprint.of("CreateAuthorization", REQUEST))
                .isEqualTo("47b4dc9644238bd4ab724ded22a3f13337cfbbf17c3518b1b4492cd689efbdb3");
    }

    @Test
    void fingerprint_ignoresTheKeyUnknownFieldsAndOutputOnlyFields() {
        CreateAuthorizationRequest echoed = REQUEST.toBuilder()
                .setRequestId("")
                .setAuthorization(REQUEST.getAuthorization().toBuilder()
                        .setName("accounts/x/authorizations/y")
                        .setState(Authorization.State.APPROVED))
                .setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build())
                .build();

        assertThat(RequestFingerprint.of("CreateAuthorization", echoed))
                .isEqualTo(RequestFingerprint.of("CreateAuthorization", REQUEST));
    }

    @Test
    void fingerprint_differsForADifferentAmountOrMethod() {
        CreateAuthorizationRequest more = REQUEST.toBuilder()
                .setAuthorization(REQUEST.getAuthorization().toBuilder()
                        .setAmount(REQUEST.getAuthorization().getAmount().toBuilder().setUnits(13)))
                .build();

        assertThat(RequestFingerprint.of("CreateAuthorization", more))
                .isNotEqualTo(RequestFingerprint.of("CreateAuthorization", REQUEST));
        assertThat(RequestFingerprint.of("VoidAuthorization", REQUEST))
                .isNotEqualTo(RequestFingerprint.of("CreateAuthorization", REQUEST));
    }
}
