#include "suite/run/reference_loop.h"
#include "suite/run/epoch_loop.h"

namespace nrs {

void train_reference(TrainState& s) {
  auto& P = s.progress;
  while (P.epoch < s.cfg.epochs && P.status == "ok") {
    if (P.sums.steps == 0) {
      s.pipe->start_epoch(P.epoch);
      P.sums.reset(s.device);
    }
    s.model->train();
    for (data::Batch global; s.pipe->next(global);) train_step(s, global);
    close_epoch(s);
  }
}

}  // namespace nrs
