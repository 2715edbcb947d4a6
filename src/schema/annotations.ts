/**
 * Semaphore's `api/annotations.proto`, built in so that Semaphore protos with
 * `import "api/annotations.proto"` load unchanged without shipping the file.
 * The schema is identical to Semaphore's (MIT): the field numbers must match, since
 * the options end up in descriptors served over gRPC reflection.
 */

/** The import path under which the annotations are available. */
export const ANNOTATIONS_PATH = 'api/annotations.proto';

/** Option name on a service: `option (semaphore.api.service) = { … }`. */
export const SERVICE_OPTION = '(semaphore.api.service)';

/** Option name on a method: `option (semaphore.api.http) = { … }`. */
export const HTTP_OPTION = '(semaphore.api.http)';

export const ANNOTATIONS_PROTO = `syntax = "proto3";

package semaphore.api;

import "google/protobuf/descriptor.proto";

option go_package = "github.com/jexia/semaphore/api;api";

extend google.protobuf.ServiceOptions {
  Service service = 50012;
}

message Service {
  string package = 1;
  string name = 2;
  string host = 3;
  string transport = 4;
  string codec = 5;
  string request_codec = 6;
  string response_codec = 7;
}

extend google.protobuf.MethodOptions {
  HTTP http = 50011;
}

message HTTP {
  string endpoint = 1;
  string method = 2;
}
`;
