package dev.paygate.edge.strictjson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paygate.contract.Contract;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.Repository;
import dev.paygate.edge.strictjson.RestContract.Binding;
import dev.paygate.edge.strictjson.RestContract.Field;
import dev.paygate.edge.strictjson.RestContract.QueryParameter;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What the generator reads from a descriptor set: the bindings and the JSON keys of every body. */
@Tag("static")
class RestContractTest {

    private final RestContract shop = RestContract.of(ShopContract.contract(), ShopContract.SERVICES);

    @Test
    void messageKeys_areEachFieldsJsonNameAndProtoName_includingCustomAndDigitJsonNames() {
        Map<String, Field> keys = shop.messages().get("test.v1.Shop");

        assertThat(keys).containsOnlyKeys("name", "item", "itemsById", "items_by_id", "card", "iban", "extras",
                "openTime", "open_time", "field1", "field_1", "SKU", "sku");
        assertThat(keys.get("SKU").slot()).isEqualTo("sku");
        assertThat(keys.get("field1").slot()).isEqualTo("field_1");
    }

    @Test
    void nestedMessages_mapValues_andRepeatedMessages_areWalked_wellKnownTypesAreNot() {
        Map<String, Field> keys = shop.messages().get("test.v1.Shop");

        assertThat(shop.messages()).containsOnlyKeys("test.v1.Shop", "test.v1.Item", "test.v1.Price", "test.v1.Card");
        assertThat(keys.get("item").message()).isEqualTo("test.v1.Item");
        assertThat(shop.messages().get("test.v1.Item").get("price").message()).isEqualTo("test.v1.Price");
        assertThat(keys.get("itemsById")).satisfies(f -> {
            assertThat(f.map()).isTrue();
            assertThat(f.message()).as("the map's value message").isEqualTo("test.v1.Item");
        });
        assertThat(keys.get("extras").message()).isEqualTo("test.v1.Item");
        assertThat(keys.get("openTime").message()).as("a Timestamp is a JSON string").isNull();
    }

    @Test
    void oneofMembers_shareTheOneofsSlot() {
        Map<String, Field> keys = shop.messages().get("test.v1.Shop");

        assertThat(keys.get("card").slot()).isEqualTo("payment");
        assertThat(keys.get("iban").slot()).isEqualTo("payment");
        assertThat(keys.get("card").oneof()).isTrue();
        assertThat(keys.get("name").oneof()).isFalse();
    }

    @Test
    void bindings_includeAdditionalBindings_verbs_andTheBodysMessage() {
        assertThat(shop.bindings()).extracting(b -> b.httpMethod() + " " + String.join("/", b.segments())
                        + (b.verb().isEmpty() ? "" : ":" + b.verb()) + " body=" + b.body() + " " + b.bodyMessage())
                .containsExactly(
                        "GET v1/shops/* body= null",
                        "POST v1/regions/*/shops body=shop test.v1.Shop",
                        "POST v1/shops body=shop test.v1.Shop",
                        "PATCH v1/shops/*:touch body=* test.v1.Shop");
    }

    @Test
    void queryParameters_areTheFieldsNeitherInThePathNorInTheBody_inEverySpelling() {
        Map<String, List<Binding>> byRpc = shop.bindings().stream().collect(Collectors.groupingBy(Binding::rpc));

        Map<String, QueryParameter> get = byRpc.get("test.v1.ShopService/GetShop").get(0).query();
        assertThat(get).containsOnlyKeys("filter.pageSize", "filter.page_size", "filter.tags");
        assertThat(get.get("filter.page_size").fieldPath()).isEqualTo("filter.page_size");
        assertThat(get.get("filter.pageSize").jsonPath()).isEqualTo("filter.pageSize");
        assertThat(get.get("filter.tags").repeated()).isTrue();

        List<Binding> creates = byRpc.get("test.v1.ShopService/CreateShop");
        assertThat(creates.get(0).query()).as("parent is in the path, shop is the body")
                .containsOnlyKeys("requestId", "request_id");
        assertThat(creates.get(1).query()).as("/v1/shops binds no parent: the query may")
                .containsOnlyKeys("parent", "requestId", "request_id");
        assertThat(byRpc.get("test.v1.ShopService/TouchShop").get(0).query()).as("body * leaves none").isEmpty();
    }

    @Test
    void templatesTheFilterCannotMirror_failTheBuild() {
        assertThatThrownBy(() -> RestContract.of(ShopContract.contract(
                ShopContract.http("post", "/v1/{parent=regions/**}/shops", "shop").build()), ShopContract.SERVICES))
                .hasMessageContaining("**");
        assertThatThrownBy(() -> RestContract.of(ShopContract.contract(
                ShopContract.http("get", "/v1/{name=shops/*}", "").build()), ShopContract.SERVICES))
                .hasMessageContaining("two bindings");
        assertThatThrownBy(() -> RestContract.of(ShopContract.contract(), List.of("test.v1.NoSuchService")))
                .hasMessageContaining("NoSuchService");
    }

    @Test
    void paygateContract_everyRestOperationIsBound_andTheListDocumentsItsParameters() throws IOException {
        Repository repository = Repository.locate();
        Contract contract = Contract.load(repository.descriptorSet());
        RestContract paygate = RestContract.of(contract, EnvoyConfig.load(repository.envoyYaml()).transcoderServices());

        Map<String, Binding> byRpc = paygate.bindings().stream().collect(Collectors.toMap(Binding::rpc, b -> b));
        assertThat(byRpc).containsOnlyKeys(contract.methods().stream().map(m -> m.service() + "/" + m.name()).toList());
        assertThat(byRpc.get("paygate.v1.AuthorizationService/ListAuthorizations").query())
                .containsOnlyKeys("pageSize", "page_size", "pageToken", "page_token", "state");
        assertThat(byRpc.get("paygate.v1.AccountService/GetAccount").query()).isEmpty();
        assertThat(byRpc.get("paygate.v1.AuthorizationService/CaptureAuthorization").query()).isEmpty();
        assertThat(paygate.messages().get("google.type.Money")).containsKeys("currencyCode", "currency_code", "units", "nanos");
    }
}
