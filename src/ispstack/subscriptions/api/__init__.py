"""REST API of the subscriptions app: serializers, views and their routes."""
