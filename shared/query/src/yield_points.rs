//! Yield points after every operator that can produce more than it reads, so a query whose
//! client has gone away (or that must share the cores) stops at its next batch.
//!
//! ```text
//! physical plan (after DataFusion's own rules, EnsureCooperative included: leaves yield)
//!   ──► every non-leaf node whose output may exceed its input (cardinality effect Unknown or
//!       GreaterEqual: joins, unions, DedupExec, …) ──► CooperativeExec(node)
//! ```
//!
//! Why: DataFusion makes a task yield when its *sources* run out of tokio's cooperative budget.
//! A join that turns one probe batch into millions of output rows never touches a source
//! while it emits them, and the aggregate above it loops on `poll_next` as long as batches are
//! ready — one poll of the query's task then runs for minutes. Dropping a stream only takes
//! effect when the task next yields, so a cancelled query kept both cores busy (issue #15: a
//! 3-way self-join ran on for 47 s after the client's deadline, starving the ingester's lease
//! keep-alive). `CooperativeExec` spends one unit of the task's budget per batch and answers
//! `Pending` when it is spent: the operators above return, the task yields, a drop stops it.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::CardinalityEffect;

/// The physical optimizer rule (runs after DataFusion's rules; see the module doc).
#[derive(Debug, Default)]
pub struct YieldPoints;

impl PhysicalOptimizerRule for YieldPoints {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let expands = matches!(
                node.cardinality_effect(),
                CardinalityEffect::Unknown | CardinalityEffect::GreaterEqual
            );
            let is_leaf = node.children().is_empty();
            if !expands || is_leaf || node.is::<CooperativeExec>() {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(
                Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>
            ))
        })
        .data()
    }

    fn name(&self) -> &str {
        "quiver_yield_points"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    #[tokio::test]
    async fn joins_get_a_yield_point_and_filters_do_not() {
        let state = datafusion::execution::SessionStateBuilder::new()
            .with_config(SessionConfig::new())
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(YieldPoints))
            .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.sql("CREATE TABLE t (h VARCHAR, v BIGINT) AS VALUES ('a', 1), ('b', 2)")
            .await
            .unwrap();
        let plan = ctx
            .sql("SELECT count(*) FROM t a JOIN t b ON a.h = b.h WHERE a.v > 0")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let text = displayable(plan.as_ref()).indent(false).to_string();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let join = lines
            .iter()
            .position(|l| l.starts_with("HashJoinExec"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            join > 0 && lines[join - 1].starts_with("CooperativeExec"),
            "the join's output yields:\n{text}"
        );
        assert!(
            !lines
                .iter()
                .zip(lines.iter().skip(1))
                .any(|(a, b)| a.starts_with("CooperativeExec") && b.starts_with("FilterExec")),
            "filters read no more than they are given:\n{text}"
        );
        let batches = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap();
        assert_eq!(batches[0].num_rows(), 1);
    }
}
