package dev.paygate.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.AnnotationsProto;
import com.google.api.CustomHttpPattern;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The one model of the API, on a contract small enough to read here. */
@Tag("static")
class ContractTest {

    private static final HttpRule GET = HttpRule.newBuilder().setGet("/v1/{name=shops/*}").build();
    private static final HttpRule CREATE = HttpRule.newBuilder().setPost("/v1/{parent=regions/*}/shops").setBody("shop")
            .addAdditionalBindings(HttpRule.newBuilder().setPost("/v1/shops").setBody("*"))
            .addAdditionalBindings(HttpRule.newBuilder().setCustom(CustomHttpPattern.newBuilder().setKind("HEAD")
                    .setPath("/v1/shops")))
            .build();

    private final Contract contract = Contract.of(FileDescriptorSet.newBuilder()
            .addFile(FileDescriptorProto.newBuilder().setName("google/example/imported.proto").setPackage("google.example")
                    .addMessageType(DescriptorProto.newBuilder().setName("Ping"))
                    .addService(ServiceDescriptorProto.newBuilder().setName("Imported")
                            .addMethod(rpc("Ping", null, IdempotencyLevel.NO_SIDE_EFFECTS, ".google.example.Ping"))))
            .addFile(FileDescriptorProto.newBuilder().setName("test/v1/shop.proto").setPackage("test.v1")
                    .addMessageType(DescriptorProto.newBuilder().setName("Shop"))
                    .addService(ServiceDescriptorProto.newBuilder().setName("ShopService")
                            .addMethod(rpc("GetShop", GET, IdempotencyLevel.NO_SIDE_EFFECTS, ".test.v1.Shop"))
                            .addMethod(rpc("CreateShop", CREATE, IdempotencyLevel.IDEMPOTENT, ".test.v1.Shop"))
                            .addMethod(rpc("Unbound", null, IdempotencyLevel.IDEMPOTENCY_UNKNOWN, ".test.v1.Shop"))))
            .build());

    @Test
    void theApi_isEveryServiceOutsideTheImportedPackages() {
        assertThat(contract.services()).extracting(s -> s.getFullName()).containsExactly("test.v1.ShopService");
        assertThat(contract.packageName()).isEqualTo("test.v1");
        assertThat(contract.methods()).extracting(Contract.Method::grpcPath)
                .containsExactly("/test.v1.ShopService/GetShop", "/test.v1.ShopService/CreateShop",
                        "/test.v1.ShopService/Unbound");
    }

    @Test
    void onlyNoSideEffects_isARead_andDecidesTheScope() {
        assertThat(contract.methods()).extracting(Contract.Method::reads).containsExactly(true, false, false);
        assertThat(contract.methods()).extracting(Contract.Method::scope)
                .containsExactly(Contract.READ_SCOPE, Contract.WRITE_SCOPE, Contract.WRITE_SCOPE);
    }

    @Test
    void everyBinding_additionalAndCustomOnesIncluded_inOrder() {
        assertThat(method("CreateShop").bindings()).containsExactly(
                new HttpBinding("POST", "/v1/{parent=regions/*}/shops", "shop"),
                new HttpBinding("POST", "/v1/shops", "*"),
                new HttpBinding("HEAD", "/v1/shops", ""));
        assertThat(method("GetShop").bindings()).containsExactly(new HttpBinding("GET", "/v1/{name=shops/*}", ""));
        assertThat(method("Unbound").bindings()).isEmpty();
    }

    @Test
    void aBinding_knowsItsPathAndASamplePathItAccepts() {
        HttpBinding get = method("GetShop").bindings().get(0);

        assertThat(get.samplePath()).isEqualTo("/v1/shops/x");
        assertThat(get.path().segments()).containsExactly("v1", "shops", "*");
        assertThat(get.path().variables()).containsExactly("name");
        assertThatThrownBy(() -> new HttpBinding("GET", "/v1/{name=shops/**}", "").path()).hasMessageContaining("**");
    }

    @Test
    void aMethodOfAnotherContract_isNoRpcOfThisOne() {
        var imported = Contract.of(FileDescriptorSet.newBuilder().addFile(FileDescriptorProto.newBuilder()
                        .setName("other.proto").setPackage("other").addMessageType(DescriptorProto.newBuilder().setName("M"))
                        .addService(ServiceDescriptorProto.newBuilder().setName("S")
                                .addMethod(rpc("Do", GET, IdempotencyLevel.IDEMPOTENT, ".other.M")))).build())
                .methods().get(0).descriptor();

        assertThatThrownBy(() -> contract.method(imported)).hasMessageContaining("other.S.Do");
    }

    private Contract.Method method(String name) {
        return contract.methods().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private static MethodDescriptorProto rpc(String name, HttpRule http, IdempotencyLevel level, String message) {
        MethodOptions.Builder options = MethodOptions.newBuilder().setIdempotencyLevel(level);
        if (http != null) {
            options.setExtension(AnnotationsProto.http, http);
        }
        return MethodDescriptorProto.newBuilder().setName(name).setInputType(message).setOutputType(message)
                .setOptions(options).build();
    }
}
