"""The SQL behind what `newswatch serve` shows: canned queries (Datasette runs them, also with
`--public`) and the landing page's own queries. Read-only, against the schema in
`pipeline.store.migrations`; each answers one question an analyst asks."""

from __future__ import annotations

# Canned queries: `:name` parameters become form fields; an empty one means "any".

LATEST_MENTIONS = """
select m.entity, a.title as headline, a.source, a.published, m.snippet, a.url as link,
       a.paywalled, m.field, m.alias, m.article_id
from mentions m join articles a on a.id = m.article_id
where (:entity = '' or m.entity = :entity collate nocase)
order by coalesce(a.published, a.fetched_at) desc, m.id
limit 500
"""

MENTIONS_PER_DAY = """
select substr(coalesce(a.published, a.fetched_at), 1, 10) as day, m.entity,
       count(*) as mentions, count(distinct a.id) as articles
from mentions m join articles a on a.id = m.article_id
where (:entity = '' or m.entity = :entity collate nocase)
group by day, m.entity
order by day desc, mentions desc
"""

ALERTS_SENT_AND_FAILED = """
select al.status, al.rule, al.channel, a.title as headline, a.url as link, al.attempts,
       al.created_at, al.sent_at, al.last_error, al.article_id
from alerts al join articles a on a.id = al.article_id
where (:status = '' or al.status = :status)
order by al.created_at desc, al.id desc
"""

ALERTS_PER_CHANNEL_PER_DAY = """
select substr(al.created_at, 1, 10) as day, al.channel, al.status, count(*) as alerts
from alerts al
group by day, al.channel, al.status
order by day desc, al.channel, al.status
"""

ARTICLES_PER_SOURCE = """
select a.source, count(*) as articles, sum(a.paywalled) as paywalled,
       count(distinct a.story_id) as stories,
       (select count(distinct m.article_id) from mentions m join articles b on b.id = m.article_id
         where b.source = a.source) as with_mentions,
       max(coalesce(a.published, a.fetched_at)) as newest
from articles a
group by a.source
order by articles desc
"""

SOURCE_HEALTH = """
select s.name as source,
       case when s.down_since is not null then 'down' when s.silent_since is not null then 'silent'
            when s.consecutive_failures > 0 then 'failing' else 'ok' end as health,
       s.consecutive_failures, s.last_success, s.last_error, s.last_status, s.last_checked,
       s.next_attempt, s.last_new_article,
       (select count(*) from articles a where a.source = s.name) as articles,
       (select count(*) from articles a where a.source = s.name
          and a.fetched_at >= datetime('now', '-1 day')) as articles_last_day
from sources s
order by s.consecutive_failures desc, s.name
"""

STORIES_SEVERAL_OUTLETS = """
select s.id as story, s.title, s.first_seen, count(distinct a.source) as outlets,
       count(*) as articles, group_concat(distinct a.source) as sources,
       (select a2.url from articles a2 where a2.story_id = s.id order by a2.id limit 1) as first_link
from stories s join articles a on a.story_id = s.id
group by s.id
having count(distinct a.source) > 1
order by s.first_seen desc
limit 500
"""

# One entry per (rule, story), newest first: the columns datasette-atom turns into an Atom feed.
ALERTS_FEED = """
select 'newswatch:' || al.rule || ':story:' || al.story_id as atom_id,
       a.title as atom_title,
       min(al.created_at) as atom_updated,
       a.url as atom_link,
       a.source as atom_author_name,
       coalesce(max(al.reason), '')
         || case when a.paywalled then char(10) || 'Paywalled: only a teaser may be readable.' else '' end
         || char(10) || 'Outlets: ' || (select group_concat(source, ', ') from (select distinct b.source
                                         from articles b where b.story_id = al.story_id order by b.source))
         || char(10) || 'Published: ' || coalesce(a.published, a.fetched_at)
         || char(10) || coalesce(substr(a.text, 1, 400), '') as atom_content,
       al.rule, group_concat(distinct al.channel) as channels, al.story_id, al.article_id
from alerts al join articles a on a.id = al.article_id
where (:rule = '' or al.rule = :rule)
group by al.rule, al.story_id
order by atom_updated desc, al.story_id desc
limit 100
"""

# The landing page. `:since`/`:until` are days (YYYY-MM-DD), `:entity` a watchlist name or ''.

NEWEST_ALERTED_STORIES = """
select al.story_id, min(al.article_id) as article_id, a.title, a.url, a.paywalled, a.source,
       coalesce(a.published, a.fetched_at) as published, min(al.created_at) as alerted_at,
       (select group_concat(rule, ', ') from (select distinct x.rule from alerts x
         where x.story_id = al.story_id order by x.rule)) as rules,
       sum(al.status = 'sent') as sent, sum(al.status = 'failed') as failed,
       sum(al.status = 'pending') as pending,
       (select group_concat(source, ', ') from (select distinct b.source from articles b
         where b.story_id = al.story_id order by b.source)) as outlets,
       (select group_concat(entity, ', ') from (select distinct m.entity from mentions m
         join articles b on b.id = m.article_id where b.story_id = al.story_id order by m.entity)) as entities
from alerts al join articles a on a.id = al.article_id
where (:entity = '' or al.story_id in (select b.story_id from mentions m join articles b on b.id = m.article_id
                                        where m.entity = :entity collate nocase))
group by al.story_id
order by alerted_at desc, al.story_id desc
limit :limit
"""

DAYS_RANGE = "select max(substr(coalesce(published, fetched_at), 1, 10)) from articles"

MENTIONS_PER_DAY_CHART = """
select substr(coalesce(a.published, a.fetched_at), 1, 10) as day, m.entity, count(*) as mentions
from mentions m join articles a on a.id = m.article_id
where substr(coalesce(a.published, a.fetched_at), 1, 10) between :since and :until
  and (:entity = '' or m.entity = :entity collate nocase)
group by day, m.entity
order by day, m.entity
"""

ALERTS_PER_DAY_CHART = """
select substr(al.created_at, 1, 10) as day, al.channel, count(*) as alerts
from alerts al
where substr(al.created_at, 1, 10) between :since and :until
  and (:entity = '' or al.story_id in (select b.story_id from mentions m join articles b on b.id = m.article_id
                                        where m.entity = :entity collate nocase))
group by day, al.channel
order by day, al.channel
"""

ARTICLES_PER_SOURCE_CHART = """
select substr(coalesce(a.published, a.fetched_at), 1, 10) as day, a.source, count(*) as articles
from articles a
where substr(coalesce(a.published, a.fetched_at), 1, 10) between :since and :until
  and (:entity = '' or a.id in (select article_id from mentions where entity = :entity collate nocase))
group by day, a.source
order by day, a.source
"""

MENTIONS_OF_ARTICLE = """
select entity, alias, field, position, snippet from mentions where article_id = :id
order by field = 'text', position
"""

STORY_COPIES = """
select id, source, title, url, coalesce(published, fetched_at) as published from articles
where story_id = (select story_id from articles where id = :id) order by fetched_at, id
"""

ALERTS_OF_ARTICLE = """
select rule, channel, status, created_at, sent_at, reason from alerts
where story_id = (select story_id from articles where id = :id) order by created_at, id
"""

MENTIONED_ENTITIES = "select distinct entity from mentions order by entity"
ALERTED_RULES = "select distinct rule from alerts order by rule"
