-- Bodies over the cap, answered once they have all arrived (envoy.yaml's paygate.filters.http.body_cap, REST only).
--
-- The buffer filter alone answers 413 as soon as a body passes its cap, while the client is still
-- sending. Over HTTP/2 Envoy then ends the stream with RST_STREAM(NO_ERROR) after the answer
-- (conn_manager_impl.cc, doEndStream); RFC 9113 8.1 tells clients to keep the answer, but curl
-- 7.88 fails with "Stream error in the HTTP/2 framing layer" and Java's HttpClient reports an
-- error instead. So this program lets the first CAP bytes through, drops the rest as it streams
-- by (never buffered), and marks the request; the strict-JSON filter, which runs once the
-- whole request is in, answers the 413. A body over DRAIN_LIMIT stops being dropped: the buffer
-- filter then refuses it at once, as before, so one request cannot keep the edge reading.

local CAP = 65536  -- = the buffer filter's max_request_bytes (EnvoyConfigTest holds them equal)
local DRAIN_LIMIT = 1048576  -- 1 MiB: read to the end and dropped, then the JSON 413

function envoy_on_request(handle)
  local seen = 0
  for chunk in handle:bodyChunks() do
    seen = seen + chunk:length()
    if seen > DRAIN_LIMIT then
      return
    end
    if seen > CAP then
      if seen - chunk:length() <= CAP then
        handle:streamInfo():dynamicMetadata():set("paygate.body_cap", "exceeded", true)
      end
      chunk:setBytes("")
    end
  end
end
