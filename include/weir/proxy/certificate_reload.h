#pragma once
// Certificate reload without a restart (SIGHUP, or the runtime API): every TLS bind's files
// are read again; a bind whose files all load gets new contexts on every worker (handshakes
// under way finish with the old ones, session tickets stay valid); a bind with a file that
// does not load keeps what it had, and the report says why.

#include <string>
#include <vector>

#include "weir/proxy/runtime.h"

namespace weir::proxy {

struct CertificateReload {
  int reloaded = 0;                 // TLS binds that now use the files as they are
  std::vector<std::string> errors;  // one per bind that kept its old certificates
};

/// From any thread; reloads are serialised so that every worker ends up with the same files.
CertificateReload reloadCertificates(Runtime& rt);

}  // namespace weir::proxy
