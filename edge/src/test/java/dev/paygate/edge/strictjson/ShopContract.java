package dev.paygate.edge.strictjson;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.TimestampProto;
import dev.paygate.contract.Contract;
import java.util.List;

/**
 * A test contract with what paygate.v1 does not have yet, so the generator and the Lua checker
 * are tested on it: a custom {@code json_name}, a name whose json_name is not a simple
 * camel-casing ({@code field_1} is {@code field1}), nested messages three deep, a map of
 * messages, a oneof, repeated messages, a well-known type, nested and repeated query parameters,
 * an additional binding and a custom verb.
 */
final class ShopContract {

    static final List<String> SERVICES = List.of("test.v1.ShopService");

    private ShopContract() {
    }

    static Contract contract() {
        return contract(http("post", "/v1/{parent=regions/*}/shops", "shop")
                .addAdditionalBindings(http("post", "/v1/shops", "shop")).build());
    }

    /** The same contract with CreateShop bound by {@code createRule} instead. */
    static Contract contract(HttpRule createRule) {
        FileDescriptorProto shop = FileDescriptorProto.newBuilder()
                .setName("test/v1/shop.proto").setPackage("test.v1").setSyntax("proto3")
                .addDependency("google/protobuf/timestamp.proto")
                .addMessageType(DescriptorProto.newBuilder().setName("Shop")
                        .addField(field("name", 1, Type.TYPE_STRING, null))
                        .addField(field("item", 2, Type.TYPE_MESSAGE, ".test.v1.Item"))
                        .addField(field("items_by_id", 3, Type.TYPE_MESSAGE, ".test.v1.Shop.ItemsByIdEntry")
                                .setLabel(Label.LABEL_REPEATED))
                        .addField(field("card", 4, Type.TYPE_MESSAGE, ".test.v1.Card").setOneofIndex(0))
                        .addField(field("iban", 5, Type.TYPE_STRING, null).setOneofIndex(0))
                        .addField(field("extras", 6, Type.TYPE_MESSAGE, ".test.v1.Item").setLabel(Label.LABEL_REPEATED))
                        .addField(field("open_time", 7, Type.TYPE_MESSAGE, ".google.protobuf.Timestamp"))
                        .addField(field("field_1", 8, Type.TYPE_STRING, null))
                        .addField(field("sku", 9, Type.TYPE_STRING, null).setJsonName("SKU"))
                        .addOneofDecl(OneofDescriptorProto.newBuilder().setName("payment"))
                        .addNestedType(DescriptorProto.newBuilder().setName("ItemsByIdEntry")
                                .setOptions(MessageOptions.newBuilder().setMapEntry(true))
                                .addField(field("key", 1, Type.TYPE_STRING, null))
                                .addField(field("value", 2, Type.TYPE_MESSAGE, ".test.v1.Item"))))
                .addMessageType(DescriptorProto.newBuilder().setName("Item")
                        .addField(field("title", 1, Type.TYPE_STRING, null))
                        .addField(field("price", 2, Type.TYPE_MESSAGE, ".test.v1.Price")))
                .addMessageType(DescriptorProto.newBuilder().setName("Price")
                        .addField(field("cents", 1, Type.TYPE_INT64, null)))
                .addMessageType(DescriptorProto.newBuilder().setName("Card")
                        .addField(field("number", 1, Type.TYPE_STRING, null)))
                .addMessageType(DescriptorProto.newBuilder().setName("Filter")
                        .addField(field("page_size", 1, Type.TYPE_INT32, null))
                        .addField(field("tags", 2, Type.TYPE_STRING, null).setLabel(Label.LABEL_REPEATED)))
                .addMessageType(DescriptorProto.newBuilder().setName("GetShopRequest")
                        .addField(field("name", 1, Type.TYPE_STRING, null))
                        .addField(field("filter", 2, Type.TYPE_MESSAGE, ".test.v1.Filter")))
                .addMessageType(DescriptorProto.newBuilder().setName("CreateShopRequest")
                        .addField(field("parent", 1, Type.TYPE_STRING, null))
                        .addField(field("shop", 2, Type.TYPE_MESSAGE, ".test.v1.Shop"))
                        .addField(field("request_id", 3, Type.TYPE_STRING, null)))
                .addService(ServiceDescriptorProto.newBuilder().setName("ShopService")
                        .addMethod(method("GetShop", "GetShopRequest", http("get", "/v1/{name=shops/*}", "").build()))
                        .addMethod(method("CreateShop", "CreateShopRequest", createRule))
                        .addMethod(method("TouchShop", "Shop", http("patch", "/v1/{name=shops/*}:touch", "*").build())))
                .build();
        return Contract.of(FileDescriptorSet.newBuilder()
                .addFile(TimestampProto.getDescriptor().toProto())
                .addFile(shop)
                .build());
    }

    static HttpRule.Builder http(String verb, String template, String body) {
        HttpRule.Builder rule = HttpRule.newBuilder().setBody(body);
        switch (verb) {
            case "get" -> rule.setGet(template);
            case "post" -> rule.setPost(template);
            case "patch" -> rule.setPatch(template);
            default -> throw new IllegalArgumentException(verb);
        }
        return rule;
    }

    private static FieldDescriptorProto.Builder field(String name, int number, Type type, String typeName) {
        FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder()
                .setName(name).setNumber(number).setType(type).setLabel(Label.LABEL_OPTIONAL);
        return typeName == null ? field : field.setTypeName(typeName);
    }

    private static MethodDescriptorProto method(String name, String input, HttpRule rule) {
        return MethodDescriptorProto.newBuilder().setName(name)
                .setInputType(".test.v1." + input).setOutputType(".test.v1.Shop")
                .setOptions(MethodOptions.newBuilder().setExtension(AnnotationsProto.http, rule))
                .build();
    }
}
