-- Some failures Meta reports say something about the customer rather than the message (131026:
-- the number cannot receive it; 131050: the customer stopped marketing messages; 131049 and
-- 130472: Meta chose not to deliver marketing to them). The latest one is kept on the conversation,
-- so operators see it beside the customer in the console.
alter table conversations add column delivery_problem text;
alter table conversations add column delivery_problem_at timestamptz;
