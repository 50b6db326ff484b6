#include "weir/proxy/certificate_reload.h"

#include <fmt/format.h>

#include <filesystem>
#include <mutex>

#include "weir/base/log.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

CertificateReload reloadCertificates(Runtime& rt) {
  static std::mutex reloading;  // SIGHUP and the API may ask at once; never on the request path
  std::lock_guard lock(reloading);
  CertificateReload report;
  const std::string baseDir = std::filesystem::path(rt.config->source_file).parent_path().string();
  for (const FrontendRuntime& fe : rt.frontends) {
    for (const BindRuntime& bind : fe.binds) {
      if (!bind.tls) continue;
      std::string error;
      std::shared_ptr<const tls::TlsBind> fresh = tls::TlsBind::build(*bind.config, baseDir, rt.ticketKeys, &error);
      if (!fresh) {
        report.errors.push_back(fmt::format("frontend {} bind {}: {}", fe.name, bind.config->text, error));
        log::error("certificate reload: frontend {} bind {}: {}; the old certificates stay", fe.name, bind.config->text,
                   error);
        continue;
      }
      ++report.reloaded;
      for (WorkerContext* w : rt.workers) w->post([w, b = &bind, fresh] { w->useCertificates(*b, fresh); });
      log::info("certificate reload: frontend {} bind {}: {} certificate(s) loaded", fe.name, bind.config->text,
                fresh->certificates().size());
    }
  }
  return report;
}

}  // namespace weir::proxy
