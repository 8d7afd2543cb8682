package dev.paygate.authorization;

import dev.paygate.account.Accounts;
import dev.paygate.account.ResourceNames;
import dev.paygate.error.ApiException;
import dev.paygate.persistence.Database;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.ListAuthorizationEventsRequest;
import dev.paygate.v1.ListAuthorizationEventsResponse;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;

/**
 * Reads an account's authorization events for its owner ({@link Accounts#findOwned}: anyone else
 * gets ACCOUNT_ACCESS_DENIED and no event), oldest first.
 */
@Singleton
public class AuthorizationEvents {

    private static final int DEFAULT_PAGE_SIZE = 50;

    private final Database database;
    private final Accounts accounts;
    private final AuthorizationEventStore store;
    private final PageTokens pageTokens;

    public AuthorizationEvents(Database database, Accounts accounts, AuthorizationEventStore store,
                               PageTokens pageTokens) {
        this.database = database;
        this.accounts = accounts;
        this.store = store;
        this.pageTokens = pageTokens;
    }

    public ListAuthorizationEventsResponse list(ListAuthorizationEventsRequest request, String owner) {
        String accountId = ResourceNames.accountId(request.getParent());
        String authorizationId = null;
        if (!request.getAuthorization().isEmpty()) {
            if (!ResourceNames.accountId(request.getAuthorization()).equals(accountId)) {
                throw ApiException.invalidField("authorization", "must be an authorization of " + request.getParent());
            }
            authorizationId = ResourceNames.authorizationId(request.getAuthorization());
        }
        AuthorizationEvent.Type type = request.getType() == AuthorizationEvent.Type.TYPE_UNSPECIFIED
                ? null : request.getType();
        // The token is sealed with the filters it was served under (PageTokens); its position is
        // the last event served, whose sequence the next page starts after.
        String filter = request.getAuthorization() + '\0' + request.getType().name();
        String afterEventId = request.getPageToken().isEmpty() ? null
                : pageTokens.decode(request.getParent(), filter, request.getPageToken()).id();
        int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
        String onlyAuthorization = authorizationId;
        // One extra row tells whether another page exists.
        List<AuthorizationEvent> events = database.inTransaction(tx -> {
            accounts.findOwned(tx, accountId, owner);
            long after = afterEventId == null ? 0 : store.sequenceOf(tx, accountId, afterEventId);
            return store.page(tx, accountId, after, onlyAuthorization, type, pageSize + 1);
        });
        ListAuthorizationEventsResponse.Builder response = ListAuthorizationEventsResponse.newBuilder()
                .addAllAuthorizationEvents(events.subList(0, Math.min(pageSize, events.size())));
        if (events.size() > pageSize) {
            AuthorizationEvent last = events.get(pageSize - 1);
            response.setNextPageToken(pageTokens.encode(request.getParent(), filter, new PageTokens.Position(
                    Instant.ofEpochSecond(last.getCreateTime().getSeconds(), last.getCreateTime().getNanos()),
                    last.getName().substring(last.getName().lastIndexOf('/') + 1))));
        }
        return response.build();
    }
}
