"""REST API of the collections app: serializers, views and their routes."""
