package dev.paygate.grpc;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How a replica serves server-streaming calls (WatchAuthorizationEvents).
 *
 * @param maxDuration a stream is ended (UNAVAILABLE, STREAM_DURATION_REACHED) after this long; the
 *                    client reconnects with its cursor. Bounds how long a replica keeps a caller
 *                    whose token has since expired, and lets connections rebalance across replicas
 * @param heartbeat   sent after this long without an event, well inside the edge's idle timeout
 * @param pollInterval how often the replica looks for new events for all its open streams (one
 *                     query for up to 500 streams)
 * @param maxPerIdentity open streams one identity (token {@code sub}) may have on one replica: each
 *                       replica counts its own, so N replicas allow N times this many
 */
@ConfigurationProperties("paygate.streams")
public record StreamProperties(
        @Bindable(defaultValue = "30m") Duration maxDuration,
        @Bindable(defaultValue = "10s") Duration heartbeat,
        @Bindable(defaultValue = "200ms") Duration pollInterval,
        @Bindable(defaultValue = "5") int maxPerIdentity) {
}
