// Learning-rate schedules at known steps (closed forms).
#include "suite/optim/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

using nrs::LrSchedule;
using nrs::ScheduleOptions;

TEST(Schedule, ConstantWithLinearWarmup) {
  ScheduleOptions o;
  o.kind = "constant";
  o.base_lr = 0.1;
  o.warmup_epochs = 1;
  LrSchedule s(o, 5, 10);  // 10 warm-up steps
  EXPECT_DOUBLE_EQ(s.at(0), 0.01);
  EXPECT_DOUBLE_EQ(s.at(4), 0.05);
  EXPECT_DOUBLE_EQ(s.at(9), 0.1);
  EXPECT_DOUBLE_EQ(s.at(30), 0.1);
}

TEST(Schedule, StepMilestones) {
  ScheduleOptions o;
  o.kind = "step";
  o.base_lr = 0.1;
  o.milestones = {2, 4};
  o.gamma = 0.2;
  LrSchedule s(o, 6, 10);
  EXPECT_DOUBLE_EQ(s.at(19), 0.1);
  EXPECT_NEAR(s.at(20), 0.02, 1e-15);
  EXPECT_NEAR(s.at(40), 0.004, 1e-15);
}

TEST(Schedule, StepDefaultsToHalfAndThreeQuarters) {
  ScheduleOptions o;
  o.kind = "step";
  o.base_lr = 1.0;
  LrSchedule s(o, 8, 1);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);
  EXPECT_NEAR(s.at(4), 0.1, 1e-15);
  EXPECT_NEAR(s.at(6), 0.01, 1e-15);
}

TEST(Schedule, CosineAfterWarmup) {
  ScheduleOptions o;
  o.kind = "cosine";
  o.base_lr = 0.2;
  o.warmup_epochs = 1;
  LrSchedule s(o, 3, 10);  // 10 warm-up steps, 20 cosine steps
  EXPECT_DOUBLE_EQ(s.at(10), 0.2);
  EXPECT_NEAR(s.at(20), 0.1, 1e-15);  // half-way: cos(pi/2) = 0
  EXPECT_NEAR(s.at(15), 0.1 * (1 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_NEAR(s.at(30), 0.0, 1e-15);
}

TEST(Schedule, RejectsUnknownKind) {
  ScheduleOptions o;
  o.kind = "linear";
  EXPECT_THROW(o.validate(), std::invalid_argument);
}
