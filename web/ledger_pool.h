// Ledgers for the console's worker threads: a Ledger is used by one thread at a time (gate/ledger.h), so each
// request borrows one for its duration and gives it back. Opened on demand through the given function (which
// throws std::runtime_error when the ledger cannot be opened: the page then says so and the next request tries
// again). Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "gate/ledger.h"

namespace vg::web {

class LedgerPool {
  public:
    using Opener = std::function<std::unique_ptr<gate::Ledger>()>;
    explicit LedgerPool(Opener open) : open_(std::move(open)) {}

    class Lease {
      public:
        Lease(LedgerPool& pool, std::unique_ptr<gate::Ledger> l) : pool_(pool), ledger_(std::move(l)) {}
        ~Lease() { pool_.giveBack(std::move(ledger_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        gate::Ledger& operator*() { return *ledger_; }
        gate::Ledger* operator->() { return ledger_.get(); }

      private:
        LedgerPool& pool_;
        std::unique_ptr<gate::Ledger> ledger_;
    };

    Lease borrow() {
        {
            const std::scoped_lock lock(mutex_);
            if (!free_.empty()) {
                auto l = std::move(free_.back());
                free_.pop_back();
                return {*this, std::move(l)};
            }
        }
        return {*this, open_()};
    }

  private:
    void giveBack(std::unique_ptr<gate::Ledger> l) {
        if (!l) return;
        const std::scoped_lock lock(mutex_);
        free_.push_back(std::move(l));
    }
    Opener open_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<gate::Ledger>> free_;
};

}  // namespace vg::web
